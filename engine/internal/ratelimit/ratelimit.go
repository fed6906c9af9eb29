// Package ratelimit is the per-source UDP rate limit every engine applies
// (engine.Config.UDPRateLimit): one lock-free Limiter per server. It is
// internal to package engine and its engines.
package ratelimit

import (
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/rawnet/rawnet/engine"
)

// DefaultBuckets is the number of buckets of a server's limiter: 8 bytes
// each, 512 KiB in all, allocated once when the limit is on.
const DefaultBuckets = 1 << 16

// Limiter admits datagrams per source address at a steady rate with
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
// limit stricter, never looser. With DefaultBuckets buckets and k
// busy sources, a given source shares its bucket with probability about
// k/65536.
//
// A Limiter is safe for concurrent use. The zero value is not usable;
// make one with New or ForConfig.
type Limiter struct {
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

// New returns a limiter that admits, per source address, burst
// datagrams at once and then rate datagrams per second, using buckets
// buckets (rounded up to a power of two; 0 means DefaultBuckets). rate
// and burst must lie within the bounds engine.Config.Normalize checks.
func New(rate float64, burst, buckets int) (*Limiter, error) {
	if math.IsNaN(rate) || rate < engine.MinUDPRateLimit || rate > engine.MaxUDPRateLimit {
		return nil, fmt.Errorf("ratelimit: rate %g datagrams/s is out of range [%g, %g]",
			rate, float64(engine.MinUDPRateLimit), float64(engine.MaxUDPRateLimit))
	}
	if burst < 1 || burst > engine.MaxUDPRateBurst {
		return nil, fmt.Errorf("ratelimit: burst %d is out of range [1, %d]", burst, engine.MaxUDPRateBurst)
	}
	if buckets < 0 || buckets > 1<<30 {
		return nil, fmt.Errorf("ratelimit: %d buckets is out of range [0, %d]", buckets, 1<<30)
	}
	if buckets == 0 {
		buckets = DefaultBuckets
	}
	buckets = 1 << bits.Len(uint(buckets-1))
	// Rounding the interval up keeps the admitted rate at or under rate:
	// a datagram per interval is never more than rate per second.
	interval := max(int64(math.Ceil(1e9/rate)), 1)
	return &Limiter{
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

// ForConfig returns the limiter cfg asks for, or nil when cfg sets no UDP
// rate limit. cfg must be normalized, which fills in the default burst.
func ForConfig(cfg engine.Config) (*Limiter, error) {
	if cfg.UDPRateLimit == 0 {
		return nil, nil
	}
	return New(cfg.UDPRateLimit, cfg.UDPRateBurst, DefaultBuckets)
}

// Now returns the time on the limiter's clock: the monotonic time since
// it was made. Pass it to Allow.
func (l *Limiter) Now() time.Duration { return time.Since(l.epoch) }

// Allow reports whether a datagram from src, arriving at now, is within
// its source's limit, and if so counts it. now is a reading of a
// monotonic clock that starts at or after 0, normally l.Now(); tests
// pass their own. An IPv4-mapped IPv6 address is the same source as the
// IPv4 address it maps, and an IPv6 zone is ignored. Allow neither
// allocates nor blocks.
func (l *Limiter) Allow(src netip.Addr, now time.Duration) bool {
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
func (l *Limiter) Rate() float64 { return l.rate }

// Burst returns how many datagrams a source may send at once.
func (l *Limiter) Burst() int { return l.burst }

// Buckets returns the number of buckets, fixed when l was made.
func (l *Limiter) Buckets() int { return len(l.tat) }

// String describes the limit, as in "100/s burst 100".
func (l *Limiter) String() string {
	return fmt.Sprintf("%g/s burst %d", l.rate, l.burst)
}
