package netpoll

import (
	"log/slog"
	"runtime"
	"time"
)

// Balance says how a TCP server spreads accepted connections over its
// loops.
type Balance uint8

// Balance policies. The zero value is RoundRobin.
const (
	// RoundRobin accepts on one listener, registered in loop 0, and hands
	// each new connection to the next loop in turn.
	RoundRobin Balance = iota
	// LeastConn accepts like RoundRobin but hands each connection to the
	// loop with the fewest open connections.
	LeastConn
	// ReusePort opens one SO_REUSEPORT listener per loop and lets the
	// kernel spread connections by a hash of the 4-tuple (socket(7)). No
	// connection crosses loops, but the spread is only as even as the hash.
	ReusePort
)

// String returns "roundrobin", "leastconn" or "reuseport".
func (b Balance) String() string {
	switch b {
	case RoundRobin:
		return "roundrobin"
	case LeastConn:
		return "leastconn"
	case ReusePort:
		return "reuseport"
	default:
		return "unknown"
	}
}

// Wait says how a loop with nothing to do waits for events.
type Wait uint8

// Wait modes. The zero value is WaitPark.
const (
	// WaitPark parks an idle loop's goroutine on the Go runtime's own
	// poller, as a goroutine reading from Go's net package is parked: it
	// holds no P while it waits, so the rest of the program runs as if
	// the loop were not there. A loop parks only after a zero-timeout
	// epoll_wait has found nothing (park_linux.go), so a park costs a
	// few more system calls than a sleep in epoll_wait: what a
	// ping-pong connection, whose loop waits between any two messages,
	// pays for the rest of the program.
	WaitPark Wait = iota
	// WaitSyscall sleeps in a blocking epoll_wait system call, which
	// keeps the loop goroutine's P (one of GOMAXPROCS) for as long as it
	// sleeps: the runtime hands that P to other goroutines only when its
	// sysmon thread retakes it, 20 µs to 10 ms later (runtime/proc.go,
	// sysmon and retake). With as many loops as Ps, the program's other
	// goroutines (a client in the same process, a timer, a metrics
	// endpoint) then wait for sysmon, or for a loop's yield, at most a
	// millisecond apart while it is busy (yieldEvery in yield_linux.go).
	// It suits a process that runs nothing but its loops and perhaps a
	// metrics page, such as rawnet's echo servers, or one whose loops
	// leave a P free.
	WaitSyscall
)

// String returns "park" or "syscall".
func (w Wait) String() string {
	switch w {
	case WaitPark:
		return "park"
	case WaitSyscall:
		return "syscall"
	default:
		return "unknown"
	}
}

// Defaults applied to zero Config fields; each field's doc states its
// own.
const (
	defaultReadBuffer   = 64 << 10
	defaultWriteLimit   = 1 << 20
	defaultInputLimit   = 1 << 20
	defaultCloseTimeout = 5 * time.Second
	defaultDrainQuiet   = 200 * time.Millisecond
	// The largest UDP payload over IPv4 is 65507 bytes.
	defaultUDPBuffer = 64 << 10
	defaultUDPBatch  = 32
	// defaultSpinEvents is the number of events that makes a round busy
	// enough for the next wait to poll before blocking (see Loop.wait).
	defaultSpinEvents = 2
)

// Config tunes a Server. Its zero value is ready to use: one loop per CPU,
// each parked on the Go runtime's poller while it has nothing to do and
// not locked to an OS thread, round-robin balance, no connection limit,
// no timeouts, 1 MiB output and input limits per connection.
type Config struct {
	// Loops is the number of event loops; 0 means runtime.NumCPU().
	Loops int
	// LockThreads locks each loop goroutine to its OS thread for its
	// whole life (runtime.LockOSThread). The thread then runs nothing
	// else, so thread-level settings made from a callback or a submitted
	// function (CPU affinity with sched_setaffinity(2), scheduling policy,
	// priority) stay with the loop, and a per-thread profile shows one
	// loop per thread. Unlocked, the runtime may resume a loop on another
	// OS thread whenever it deschedules it, so such settings do not stick
	// and may reach whatever goroutine runs on that thread next.
	//
	// What locking costs depends on Wait. A locked goroutine that stops
	// running cannot leave its thread to the scheduler: the thread hands
	// its P to another thread and sleeps, and the thread that finds the
	// goroutine runnable again hands the P back and sleeps in turn
	// (stoplockedm and startlockedm in runtime/proc.go). With WaitPark a
	// loop stops at every park, so locking adds two thread wake-ups and
	// context switches to every wait that sleeps: it is off by default.
	// With WaitSyscall a loop stops only for its yield, at most once a
	// millisecond (yieldEvery in yield_linux.go). Loops pinned with CPUs
	// are locked too, and pay the same. docs/perf/README.md has the
	// figures.
	LockThreads bool
	// CPUs pins the loops to CPUs, one CPU per loop in turn: loop i runs
	// on CPUs[i % len(CPUs)] only (sched_setaffinity(2)). A pinned loop
	// is locked to its OS thread whatever LockThreads says, since the
	// affinity belongs to the thread, and it never unlocks it: the thread
	// exits with the loop instead of carrying the affinity on to other
	// goroutines. Every CPU must be one the process may run on; Listen
	// and ListenPacket refuse others. Empty means no pinning.
	CPUs []int
	// Wait says how an idle loop waits for events: WaitPark (the zero
	// value) or WaitSyscall. See Wait, and the package documentation for
	// what it means for the rest of the program.
	Wait Wait
	// HoldShortWaits, with WaitSyscall on the epoll backend, makes a loop
	// with nothing to do sleep its first millisecond (holdWait) in an
	// epoll_wait the Go runtime is not told about, keeping its P as if it
	// ran Go code, and only then block in an ordinary system call that
	// sysmon may retake the P from. It is for a process whose loops
	// wait often and briefly, such as a forwarder with one ping-pong
	// connection: there, sysmon retakes the P of almost every such wait
	// and keeps polling every 20 µs while it does, costing the process a
	// thread wake-up and context switch per retake (see holdWait). The
	// price is the rest of the program's: while every P runs a loop,
	// another goroutine waits for a yield (yieldEvery) even when the
	// loops have little to do, as it does while they are busy. Off by
	// default.
	HoldShortWaits bool
	// Backend is the kernel interface the loops use: BackendEpoll, the
	// zero value, or BackendUring. A Handler runs unchanged on either.
	Backend Backend
	// Balance spreads TCP connections over loops. UDP servers always open
	// one SO_REUSEPORT socket per loop.
	Balance Balance
	// MaxConns bounds open TCP connections; a connection over the limit is
	// accepted and closed at once. 0 means no limit but the fd limit.
	MaxConns int
	// IdleTimeout closes a connection that neither received bytes nor made
	// write progress for this long; 0 disables it.
	IdleTimeout time.Duration
	// IdleBoundsPartial makes the idle timeout bound a message in
	// progress as well: bytes that only add to input the handler left
	// unconsumed do not count as activity, so a message must complete
	// within IdleTimeout of the read that began it or of the last read
	// in which the handler consumed input. A peer that trickles a byte
	// now and then of a message it never finishes (slowloris) is then
	// closed with ErrIdleTimeout. Once Shutdown has begun every byte
	// counts again, as DrainQuiet requires.
	IdleBoundsPartial bool
	// WriteTimeout closes a connection whose pending output made no
	// progress for this long; 0 disables it.
	WriteTimeout time.Duration
	// ConnectTimeout bounds how long an outgoing connection started with
	// Loop.Connect may take to be established; past it the attempt is
	// closed with ErrConnectTimeout. 0 leaves it to the kernel, which
	// gives up after its SYN retries (tcp_syn_retries in tcp(7), about
	// two minutes by default).
	ConnectTimeout time.Duration
	// CloseTimeout bounds how long a connection closed by its handler may
	// spend flushing output and then waiting for the peer to close; 0
	// means 5 seconds.
	CloseTimeout time.Duration
	// DrainQuiet is how long, once Shutdown has begun, a connection may
	// receive nothing before it is closed as drained; until then it is
	// served as usual, so input its peer had already sent is echoed even
	// if it was still in flight. A connection whose handler holds bytes
	// in flight through it (Conn.SetInFlight) is not quiet until they are
	// gone. 0 means 200 milliseconds.
	DrainQuiet time.Duration
	// DeferWrites, on the epoll backend, makes Conn.Write hold a write of
	// up to 2 KiB back and send it later in the round, with the rest of
	// that connection's output, in one send: once the loop has handled
	// every event of the round, just before it waits again, or sooner
	// once 64 KiB is held (as Redis sends its replies before it sleeps;
	// the io_uring backend sends a round's output together anyway). A
	// peer waiting on many connections then receives replies back to
	// back instead of being woken for each while the loop works on the
	// next, and each such wake-up of a peer asleep on another CPU costs
	// the sender several microseconds (write_linux.go has the reasoning,
	// docs/perf/defer the measurements). The price: a small reply leaves
	// when the round's held output is sent, not when its handler writes
	// it, and is copied once more on the way. Write's result is the same
	// either way, and so is the write limit; a failed send surfaces in
	// OnClose, as one that fails from the queue always has. Off by
	// default.
	DeferWrites bool
	// WriteLimit is the output, in bytes, a connection may queue before
	// its loop stops reading from it; reading resumes once the queue
	// drains below half. 0 means 1 MiB.
	WriteLimit int
	// InputLimit bounds the bytes a connection holds because its handler
	// left them unconsumed; reaching it closes the connection with
	// ErrInputLimit. 0 means 1 MiB.
	InputLimit int
	// ReadBuffer is the size of the read buffer each loop shares among
	// its connections; 0 means 64 KiB.
	ReadBuffer int
	// ReadBudget bounds the bytes a loop reads from one connection per
	// readiness event, so that one flooding peer cannot starve the others;
	// 0 means four read buffers.
	ReadBudget int
	// ReadShare, when set, bounds what a loop reads from one connection
	// in a round in which other descriptors are ready too, and for a
	// millisecond after one: one read of at most ReadShare bytes, so that
	// connections ready together wait for short turns of each other's,
	// while a connection alone still reads up to ReadBudget. 0 leaves
	// every round to ReadBudget; a value over ReadBuffer counts as
	// ReadBuffer.
	ReadShare int
	// UDPBuffer is the receive buffer per datagram; a longer datagram is
	// truncated by the kernel, then dropped and counted. 0 means 64 KiB,
	// enough for the largest UDP payload over IPv4.
	UDPBuffer int
	// UDPBatch is the number of datagrams moved per recvmmsg or sendmmsg
	// call, at most 1024; 0 means 32.
	UDPBatch int
	// NoUDPGSO turns off UDP segmentation offload: replies to one sender
	// then go out one datagram per message even where the kernel could
	// cut a run of them apart itself (see udpgso_linux.go).
	NoUDPGSO bool
	// Backlog is the listen(2) backlog; 0 asks for the largest the kernel
	// allows (it silently caps the value at net.core.somaxconn).
	Backlog int
	// Control, when set, is called on every listening or UDP socket after
	// socket(2) and the options netpoll itself needs, before bind(2), as
	// net.ListenConfig.Control is. An error aborts Listen.
	Control func(fd int) error
	// Logger receives accept errors, handler panics and fatal loop
	// errors; nil discards them.
	Logger *slog.Logger

	// spinEvents is the number of events in a round that makes the next
	// wait poll before blocking (see Loop.wait); 0 means
	// defaultSpinEvents. Only benchmarks set it, to compare strategies:
	// 1 polls after every round with events, math.MaxInt never polls.
	spinEvents int
}

// normalize returns cfg with defaults in every zero field and negative
// values clamped to their defaults.
func (cfg Config) normalize() Config {
	if cfg.Loops <= 0 {
		cfg.Loops = runtime.NumCPU()
	}
	if cfg.MaxConns < 0 {
		cfg.MaxConns = 0
	}
	if cfg.IdleTimeout < 0 {
		cfg.IdleTimeout = 0
	}
	if cfg.WriteTimeout < 0 {
		cfg.WriteTimeout = 0
	}
	if cfg.ConnectTimeout < 0 {
		cfg.ConnectTimeout = 0
	}
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = defaultCloseTimeout
	}
	if cfg.DrainQuiet <= 0 {
		cfg.DrainQuiet = defaultDrainQuiet
	}
	if cfg.WriteLimit <= 0 {
		cfg.WriteLimit = defaultWriteLimit
	}
	if cfg.InputLimit <= 0 {
		cfg.InputLimit = defaultInputLimit
	}
	if cfg.ReadBuffer <= 0 {
		cfg.ReadBuffer = defaultReadBuffer
	}
	if cfg.ReadBudget <= 0 {
		cfg.ReadBudget = 4 * cfg.ReadBuffer
	}
	cfg.ReadShare = min(max(cfg.ReadShare, 0), cfg.ReadBuffer)
	if cfg.UDPBuffer <= 0 {
		cfg.UDPBuffer = defaultUDPBuffer
	}
	if cfg.UDPBatch <= 0 {
		cfg.UDPBatch = defaultUDPBatch
	}
	// recvmmsg and sendmmsg take at most UIO_MAXIOV (1024) messages.
	cfg.UDPBatch = min(cfg.UDPBatch, 1024)
	if cfg.spinEvents <= 0 {
		cfg.spinEvents = defaultSpinEvents
	}
	if cfg.Backlog <= 0 {
		cfg.Backlog = 1<<16 - 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}
