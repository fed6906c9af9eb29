package engine

import (
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"net/netip"
	"sync/atomic"
	"time"
)

// Bounds of the per-source UDP rate limit, checked by Config.Normalize
// and NewRateLimiter. They keep burst x interval, the furthest a bucket's
// schedule may run ahead of the clock, well inside an int64 of
// nanoseconds: 1e12 ns x 2^20 < 2^63.
const (
	// MinUDPRateLimit is the lowest non-zero rate: one datagram per
	// 1000 s.
	MinUDPRateLimit = 0.001
	// MaxUDPRateLimit is the highest rate: one datagram per nanosecond.
	MaxUDPRateLimit = 1e9
	// MaxUDPRateBurst is the largest burst.
	MaxUDPRateBurst = 1 << 20
	// RateLimitBuckets is the number of buckets of a server's limiter:
	// 8 bytes each, 512 KiB in all, allocated once when the limit is on.
	RateLimitBuckets = 1 << 16
)

// RateLimiter admits datagrams per source address at a steady rate with
// a burst allowance, in memory fixed when it is made: however many
// (spoofed) sources send, it neither grows nor allocates.
//
// It is a token bucket kept in the form of the generic cell rate
// algorithm (GCRA, ITU-T I.371): each bucket holds one number, the time
// at which it will be full again (its "theoretical arrival time"). A
// datagram is admitted if, after adding one interval (1/rate) to that
// time, it lies at most burst intervals past now. One int64 per bucket
// is updated with a compare-and-swap, so every socket and thread of a
// server can share one limiter without a lock, and a refused datagram
// writes nothing, so a flood from one source does not bounce a cache
// line between cores.
//
// Why one limiter per server rather than one per socket: with several
// SO_REUSEPORT sockets the kernel picks a socket by hashing the 4-tuple
// (socket(7)), so a source that varies its port, as a spoofer easily
// does, lands on every socket; per-socket limiters would let it through
// at Loops times the rate.
//
// Sources map to buckets by a keyed hash (hash/maphash, with a seed of
// the limiter's own), so a sender cannot choose addresses that collide
// with a victim's bucket. Two sources that do collide share one bucket:
// together they get the rate of one, so a collision can only make the
// limit stricter, never looser. With RateLimitBuckets buckets and k
// busy sources, a given source shares its bucket with probability about
// k/65536.
//
// A RateLimiter is safe for concurrent use. The zero value is not
// usable; make one with NewRateLimiter or NewUDPRateLimiter.
type RateLimiter struct {
	seed      maphash.Seed
	mask      uint64
	interval  int64 // ns between datagrams at the steady rate, rounded up
	tolerance int64 // burst x interval: how far ahead of now a bucket may be
	rate      float64
	burst     int
	epoch     time.Time
	// tat holds each bucket's theoretical arrival time, in ns since
	// epoch (or on whatever clock the caller passes to Allow).
	tat []atomic.Int64
}

// NewRateLimiter returns a limiter that admits, per source address,
// burst datagrams at once and then rate datagrams per second, using
// buckets buckets (rounded up to a power of two; 0 means
// RateLimitBuckets). A burst of 0 means the rate rounded up, at least 1.
func NewRateLimiter(rate float64, burst, buckets int) (*RateLimiter, error) {
	if math.IsNaN(rate) || rate < MinUDPRateLimit || rate > MaxUDPRateLimit {
		return nil, fmt.Errorf("engine: rate limit %g datagrams/s is out of range [%g, %g]", rate, float64(MinUDPRateLimit), float64(MaxUDPRateLimit))
	}
	if burst == 0 {
		burst = defaultBurst(rate)
	}
	if burst < 1 || burst > MaxUDPRateBurst {
		return nil, fmt.Errorf("engine: rate burst %d is out of range [1, %d]", burst, MaxUDPRateBurst)
	}
	if buckets < 0 || buckets > 1<<30 {
		return nil, fmt.Errorf("engine: %d rate limit buckets is out of range [0, %d]", buckets, 1<<30)
	}
	if buckets == 0 {
		buckets = RateLimitBuckets
	}
	buckets = 1 << bits.Len(uint(buckets-1))
	// Rounding the interval up keeps the admitted rate at or under rate:
	// a datagram per interval is never more than rate per second.
	interval := max(int64(math.Ceil(1e9/rate)), 1)
	return &RateLimiter{
		seed:      maphash.MakeSeed(),
		mask:      uint64(buckets - 1),
		interval:  interval,
		tolerance: int64(burst) * interval,
		rate:      rate,
		burst:     burst,
		epoch:     time.Now(),
		tat:       make([]atomic.Int64, buckets),
	}, nil
}

// NewUDPRateLimiter returns the limiter cfg asks for, or nil when cfg
// sets no UDP rate limit. cfg should be normalized.
func NewUDPRateLimiter(cfg Config) (*RateLimiter, error) {
	if cfg.UDPRateLimit == 0 {
		return nil, nil
	}
	return NewRateLimiter(cfg.UDPRateLimit, cfg.UDPRateBurst, RateLimitBuckets)
}

// defaultBurst is the burst used when none is given: one second's worth
// of datagrams, at least 1 and at most MaxUDPRateBurst.
func defaultBurst(rate float64) int {
	return int(min(max(math.Ceil(rate), 1), MaxUDPRateBurst))
}

// Now returns the time on the limiter's clock: the monotonic time since
// it was made. Pass it to Allow.
func (l *RateLimiter) Now() time.Duration { return time.Since(l.epoch) }

// Allow reports whether a datagram from src, arriving at now, is within
// its source's limit, and if so counts it. now is a reading of a
// monotonic clock that starts at or after 0, normally l.Now(); tests
// pass their own. An IPv4-mapped IPv6 address is the same source as the
// IPv4 address it maps, and an IPv6 zone is ignored. Allow neither
// allocates nor blocks.
func (l *RateLimiter) Allow(src netip.Addr, now time.Duration) bool {
	// As16 writes an IPv4 address in its IPv4-mapped form and drops the
	// zone, so both spellings of a source hash alike.
	a := src.As16()
	b := &l.tat[maphash.Bytes(l.seed, a[:])&l.mask]
	t := int64(now)
	for {
		old := b.Load()
		next := max(old, t) + l.interval
		if next-t > l.tolerance {
			return false
		}
		if b.CompareAndSwap(old, next) {
			return true
		}
	}
}

// Rate returns the steady rate, in datagrams per second.
func (l *RateLimiter) Rate() float64 { return l.rate }

// Burst returns how many datagrams a source may send at once.
func (l *RateLimiter) Burst() int { return l.burst }

// Buckets returns the number of buckets, fixed when l was made.
func (l *RateLimiter) Buckets() int { return len(l.tat) }

// String describes the limit, as in "100/s burst 100".
func (l *RateLimiter) String() string {
	return fmt.Sprintf("%g/s burst %d", l.rate, l.burst)
}
