package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"time"

	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/sockopt"
)

// Defaults applied by Config.Normalize to zero fields.
const (
	// DefaultAddr binds loopback only: an echo service on a public
	// address is a reflection vector, so going wider is an explicit choice.
	DefaultAddr = "127.0.0.1:0"
	// DefaultWriteLimit is the per-connection output a peer may leave
	// unread before the engine stops reading from it.
	DefaultWriteLimit = 1 << 20
	// DefaultThreads bounds the thread-per-connection pool.
	DefaultThreads = 1024
	// DefaultThreadKeepAlive is how long an idle pool thread waits for
	// another connection before it exits: long enough that a steady
	// stream of short connections reuses threads, short enough that a
	// burst does not hold its threads (about 27 KiB of RSS each) for the
	// server's life.
	DefaultThreadKeepAlive = 10 * time.Second
	// DefaultWorkers is the least bound of the pool engine's workers
	// when Config.Workers is 0, which means max(DefaultWorkers, 2 per
	// CPU): on one or two CPUs 4 workers did as well as any count from
	// 1 to 16 on a CPU-bound handler and on one that also blocks, and a
	// handler that blocks needs workers beyond the CPUs to keep them
	// busy. docs/perf/README.md ("The pool engine's workers") has the
	// measurements.
	DefaultWorkers = 4
	// DefaultUDPBuffer is the datagram receive buffer: the largest UDP
	// payload over IPv4 is 65507 bytes, so nothing fits only in part.
	DefaultUDPBuffer = 65536
)

// Input budget sizes; see Config.InputBudget.
const (
	// UnbudgetedInput is the input, in bytes, a connection may buffer for
	// a frame in progress without touching the server's input budget.
	// Only a frame longer than this needs a reservation, so frames of
	// everyday sizes never take the budget's lock.
	UnbudgetedInput = 64 << 10
	// MinInputBudget is the least default input budget: Normalize makes
	// a zero Config.InputBudget max(MinInputBudget, 2 x the frame limit).
	MinInputBudget = 16 << 20
)

// Bounds of the per-source UDP rate limit, checked by Normalize. They keep
// burst x interval, the furthest the limiter lets a source's schedule run
// ahead of the clock, well inside an int64 of nanoseconds:
// 1e12 ns x 2^20 < 2^63.
const (
	// MinUDPRateLimit is the lowest non-zero rate: one datagram per
	// 1000 s.
	MinUDPRateLimit = 0.001
	// MaxUDPRateLimit is the highest rate: one datagram per nanosecond.
	MaxUDPRateLimit = 1e9
	// MaxUDPRateBurst is the largest burst.
	MaxUDPRateBurst = 1 << 20
)

// Balance policies for spreading TCP connections over event loops.
const (
	BalanceReusePort  = "reuseport"  // one SO_REUSEPORT listener per loop
	BalanceRoundRobin = "roundrobin" // one acceptor, loops in turn
	BalanceLeastConn  = "leastconn"  // one acceptor, loop with fewest conns
)

// Kinds of worker of the pool engine (Config.WorkerKind).
const (
	// WorkerThread runs each worker as a goroutine locked to an OS
	// thread of its own, as a C server's thread pool would.
	WorkerThread = "thread"
	// WorkerGoroutine runs each worker as a plain goroutine on
	// GOMAXPROCS, so the same design can be measured without the cost of
	// OS threads.
	WorkerGoroutine = "goroutine"
	// WorkerThreadPark runs each worker as WorkerThread does, a goroutine
	// locked to an OS thread of its own, but its sleep work parks the
	// goroutine, as a wait on a channel or a network read does, instead
	// of blocking the thread in nanosleep(2): the thread still waits out
	// the sleep, in the runtime, and its P goes to other goroutines at
	// once rather than when the runtime's monitor takes it back from a
	// thread in a system call.
	WorkerThreadPark = "thread-park"
)

// ErrNoAffinity is returned by engines that cannot pin their threads
// (Config.CPUAffinity) because the Go runtime, not the engine, decides
// which thread runs what; taskset(1) pins such a process as a whole.
var ErrNoAffinity = errors.New("engine: CPU affinity needs an engine that owns its threads (epoll, threads, pool); pin this one's whole process with taskset(1)")

// Config is what every engine is started with. Its zero value serves raw
// TCP echo on a free loopback port with sane limits; Normalize fills the
// defaults and rejects values out of range.
type Config struct {
	// Network is "tcp" (the default) or "udp". "tcp4", "tcp6", "udp4" and
	// "udp6" are accepted as in package net.
	Network string
	// Addr is the host:port to bind; empty means DefaultAddr.
	Addr string
	// Frame is the framing every connection speaks. For UDP a datagram
	// must hold exactly one frame.
	Frame frame.Spec
	// Sockopts tunes the listening and accepted sockets.
	Sockopts sockopt.Options
	// Loops is the number of event loops or UDP sockets; 0 means one per
	// CPU. Engines with no loops ignore it.
	Loops int
	// CPUAffinity pins the threads an engine owns to these CPUs, one
	// per listed CPU in turn: the event loops of epoll (and the pool
	// engine's loops), the worker threads of threads (and of the pool
	// engine), and the threads engine's UDP sockets. Engines whose
	// threads belong to the Go runtime (std, gnet) refuse it with
	// ErrNoAffinity. Empty means no pinning.
	CPUAffinity []int
	// Balance spreads connections over loops: BalanceReusePort,
	// BalanceRoundRobin or BalanceLeastConn. Empty means round robin.
	Balance string
	// Threads bounds the thread-per-connection pool, and the pool
	// engine's workers in all, those blocked in the handler's sleep
	// included; 0 means DefaultThreads. Other engines ignore it.
	Threads int
	// ThreadKeepAlive is how long a pool thread with no connection to
	// serve waits for one before it exits, giving its OS thread back; 0
	// means DefaultThreadKeepAlive. Engines without a thread pool ignore
	// it.
	ThreadKeepAlive time.Duration
	// Workers bounds the pool engine's workers running the handler (its
	// Work) on the frames its event loops cut at once; 0 means
	// max(DefaultWorkers, 2 per CPU). A worker blocked in the handler's
	// sleep does not count, and another may start in its place, up to
	// Threads in all. Other engines ignore it.
	Workers int
	// WorkerKind is what the pool engine's workers are: WorkerThread
	// (the default when empty), WorkerGoroutine or WorkerThreadPark.
	// Thread workers of either kind idle
	// for ThreadKeepAlive exit, and their threads with them; goroutine
	// workers exit the same way. Other engines ignore it.
	WorkerKind string
	// SendAtOnce makes the epoll engine send each TCP echo as soon as
	// its frame is handled, instead of a round's echoes together just
	// before its loop waits again (netpoll.Config.DeferWrites, the
	// default; docs/perf/defer has the comparison). Other engines ignore
	// it: io_uring always
	// sends a round's output in one submission.
	SendAtOnce bool
	// MaxConns bounds concurrent TCP connections; a connection over the
	// limit is accepted and closed at once. 0 means no limit but the fd
	// limit.
	MaxConns int
	// IdleTimeout closes a connection that sent nothing for this long.
	// It also bounds a frame in progress: a partial frame must complete
	// within IdleTimeout of the later of its first byte and the end of
	// the frame before it, so a peer that trickles a byte now and then of
	// a frame it never finishes (slowloris) is closed as well, however
	// often it sends. Both count in Errors.Idle. 0 disables both.
	IdleTimeout time.Duration
	// WriteTimeout closes a connection whose pending output made no
	// progress for this long; 0 disables it.
	WriteTimeout time.Duration
	// WriteLimit is the per-connection output, in bytes, past which the
	// engine stops reading that connection until it drains (backpressure);
	// 0 means DefaultWriteLimit.
	WriteLimit int
	// InputBudget bounds, across the whole server, the input buffered for
	// frames in progress beyond the first UnbudgetedInput bytes of each
	// connection. A connection whose frame outgrows UnbudgetedInput
	// reserves the frame limit minus UnbudgetedInput bytes, room for a
	// whole frame, at once; while that much is not free it stops
	// reading, and waits until other connections give bytes back, until
	// IdleTimeout ends its frame or until Shutdown gives up on it. So
	// peers that each declare a frame near the limit and send it slowly
	// cannot make the server hold connections x frame limit. 0 means
	// max(MinInputBudget, 2 x the frame limit); a value under the frame
	// limit, which no large frame could ever fit, is refused. TCP only.
	InputBudget int
	// UDPBuffer is the size of the buffer each datagram is read into; a
	// datagram longer than this is truncated by the kernel, then dropped
	// and counted. 0 means DefaultUDPBuffer.
	UDPBuffer int
	// UDPRateLimit is the most datagrams per second a UDP server echoes
	// to one source address; datagrams over it are dropped, never echoed,
	// and counted in Errors.RateLimited. It blunts reflection: a sender
	// that spoofs a victim's address gets at most this rate sent to the
	// victim. An IPv4-mapped IPv6 address counts as its IPv4 address.
	// 0 turns the limit off; otherwise it must lie within
	// [MinUDPRateLimit, MaxUDPRateLimit]. UDP only: a TCP config that
	// sets it is refused.
	UDPRateLimit float64
	// UDPRateBurst is how many datagrams one source may send at once
	// before UDPRateLimit paces it. 0 means UDPRateLimit rounded up, at
	// least 1; it may only be set with UDPRateLimit.
	UDPRateBurst int
	// Work is what the handler does to every frame (every datagram, for
	// UDP) before echoing it: burn CPU time, block as a synchronous
	// database or disk call does, or either for a share of the frames
	// (package work; echo-tcp and echo-udp take it as --work). Every
	// engine applies it on the goroutine or thread that serves the
	// frame, as its model would; the echo stays byte-exact. The zero
	// value is no work, which costs an engine one branch per batch of
	// frames.
	Work work.Spec
	// WorkSeed seeds the generators that draw which frames get a term
	// of Work with a share, so that a run with the same seed and the
	// same traffic draws the same frames.
	WorkSeed uint64
	// Logger receives connection errors and lifecycle events; nil
	// discards them.
	Logger *slog.Logger
}

// Normalize returns cfg with defaults filled in, and the codec its framing
// describes, or an error naming the first field out of range.
func (cfg Config) Normalize() (Config, frame.Codec, error) {
	switch cfg.Network {
	case "":
		cfg.Network = "tcp"
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
	default:
		return cfg, nil, fmt.Errorf("engine: unknown network %q (want tcp or udp)", cfg.Network)
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	codec, err := frame.New(cfg.Frame)
	if err != nil {
		return cfg, nil, err
	}
	if cfg.Loops < 0 || cfg.Threads < 0 || cfg.Workers < 0 || cfg.MaxConns < 0 || cfg.WriteLimit < 0 || cfg.UDPBuffer < 0 || cfg.InputBudget < 0 {
		return cfg, nil, fmt.Errorf("engine: loops, threads, workers, max conns, write limit, input budget and UDP buffer must not be negative")
	}
	if cfg.IdleTimeout < 0 || cfg.WriteTimeout < 0 || cfg.ThreadKeepAlive < 0 {
		return cfg, nil, fmt.Errorf("engine: timeouts must not be negative")
	}
	if cfg.Loops == 0 {
		cfg.Loops = runtime.NumCPU()
	}
	switch cfg.Balance {
	case "":
		cfg.Balance = BalanceRoundRobin
	case BalanceReusePort, BalanceRoundRobin, BalanceLeastConn:
	default:
		return cfg, nil, fmt.Errorf("engine: unknown balance %q (want reuseport, roundrobin or leastconn)", cfg.Balance)
	}
	if cfg.Threads == 0 {
		cfg.Threads = DefaultThreads
	}
	if cfg.ThreadKeepAlive == 0 {
		cfg.ThreadKeepAlive = DefaultThreadKeepAlive
	}
	if cfg.Workers == 0 {
		cfg.Workers = max(DefaultWorkers, 2*runtime.NumCPU())
	}
	switch cfg.WorkerKind {
	case "":
		cfg.WorkerKind = WorkerThread
	case WorkerThread, WorkerGoroutine, WorkerThreadPark:
	default:
		return cfg, nil, fmt.Errorf("engine: unknown worker kind %q (want thread, goroutine or thread-park)", cfg.WorkerKind)
	}
	if cfg.WriteLimit == 0 {
		cfg.WriteLimit = DefaultWriteLimit
	}
	if cfg.UDPBuffer == 0 {
		cfg.UDPBuffer = DefaultUDPBuffer
	}
	switch {
	case cfg.InputBudget == 0:
		cfg.InputBudget = max(MinInputBudget, 2*codec.Max())
	case cfg.InputBudget < codec.Max():
		return cfg, nil, fmt.Errorf("engine: input budget %d is under the frame limit %d: no large frame could ever be read", cfg.InputBudget, codec.Max())
	}
	if err := cfg.normalizeRateLimit(); err != nil {
		return cfg, nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg, codec, nil
}

// IsUDP reports whether cfg.Network names a UDP network.
func (cfg Config) IsUDP() bool {
	return len(cfg.Network) >= 3 && cfg.Network[:3] == "udp"
}

// normalizeRateLimit checks the UDP rate limit fields and fills in the
// default burst.
func (cfg *Config) normalizeRateLimit() error {
	rate, burst := cfg.UDPRateLimit, cfg.UDPRateBurst
	switch {
	case rate == 0 && burst == 0:
		return nil
	case rate == 0:
		return fmt.Errorf("engine: UDP rate burst %d set without a UDP rate limit", burst)
	case !cfg.IsUDP():
		return fmt.Errorf("engine: the UDP rate limit applies to UDP only, not %s", cfg.Network)
	case math.IsNaN(rate) || rate < MinUDPRateLimit || rate > MaxUDPRateLimit:
		return fmt.Errorf("engine: UDP rate limit %g datagrams/s is out of range: 0 (off) or %g to %g",
			rate, float64(MinUDPRateLimit), float64(MaxUDPRateLimit))
	case burst < 0 || burst > MaxUDPRateBurst:
		return fmt.Errorf("engine: UDP rate burst %d is out of range: 0 (default) or 1 to %d", burst, MaxUDPRateBurst)
	}
	if burst == 0 {
		cfg.UDPRateBurst = defaultBurst(rate)
	}
	return nil
}

// defaultBurst is the burst used when none is given: one second's worth
// of datagrams, at least 1 and at most MaxUDPRateBurst.
func defaultBurst(rate float64) int {
	return int(min(max(math.Ceil(rate), 1), MaxUDPRateBurst))
}
