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

// Defaults applied to zero Config fields.
const (
	// DefaultReadBuffer is the size of the read buffer each loop shares
	// among its connections.
	DefaultReadBuffer = 64 << 10
	// DefaultWriteLimit is the per-connection output, in bytes, past which
	// a loop stops reading that connection.
	DefaultWriteLimit = 1 << 20
	// DefaultInputLimit bounds the unconsumed input a connection may hold.
	DefaultInputLimit = 1 << 20
	// DefaultCloseTimeout bounds how long a closed connection may spend
	// flushing its output and waiting for the peer's FIN.
	DefaultCloseTimeout = 5 * time.Second
	// DefaultDrainQuiet is how long a connection may stay silent during
	// Shutdown before it counts as drained.
	DefaultDrainQuiet = 200 * time.Millisecond
	// DefaultUDPBuffer is the per-datagram receive buffer: the largest UDP
	// payload over IPv4 is 65507 bytes.
	DefaultUDPBuffer = 64 << 10
	// DefaultUDPBatch is the number of datagrams one recvmmsg or sendmmsg
	// call moves.
	DefaultUDPBatch = 32
)

// Config tunes a Server. Its zero value is ready to use: one loop per CPU,
// round-robin balance, no connection limit, no timeouts, 1 MiB output and
// input limits per connection.
type Config struct {
	// Loops is the number of event loops, each on its own locked OS
	// thread; 0 means runtime.NumCPU().
	Loops int
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
	// CloseTimeout bounds how long a connection closed by its handler may
	// spend flushing output and then waiting for the peer to close; 0
	// means DefaultCloseTimeout.
	CloseTimeout time.Duration
	// DrainQuiet is how long, once Shutdown has begun, a connection may
	// receive nothing before it is closed as drained; until then it is
	// served as usual, so input its peer had already sent is echoed even
	// if it was still in flight. 0 means DefaultDrainQuiet.
	DrainQuiet time.Duration
	// WriteLimit is the output, in bytes, a connection may queue before
	// its loop stops reading from it; reading resumes once the queue
	// drains below half. 0 means DefaultWriteLimit.
	WriteLimit int
	// InputLimit bounds the bytes a connection holds because its handler
	// left them unconsumed; reaching it closes the connection with
	// ErrInputLimit. 0 means DefaultInputLimit.
	InputLimit int
	// ReadBuffer is the size of each loop's shared read buffer; 0 means
	// DefaultReadBuffer.
	ReadBuffer int
	// ReadBudget bounds the bytes a loop reads from one connection per
	// readiness event, so that one flooding peer cannot starve the others;
	// 0 means four read buffers.
	ReadBudget int
	// UDPBuffer is the receive buffer per datagram; a longer datagram is
	// truncated by the kernel, then dropped and counted. 0 means
	// DefaultUDPBuffer.
	UDPBuffer int
	// UDPBatch is the number of datagrams moved per recvmmsg or sendmmsg
	// call; 0 means DefaultUDPBatch.
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
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = DefaultCloseTimeout
	}
	if cfg.DrainQuiet <= 0 {
		cfg.DrainQuiet = DefaultDrainQuiet
	}
	if cfg.WriteLimit <= 0 {
		cfg.WriteLimit = DefaultWriteLimit
	}
	if cfg.InputLimit <= 0 {
		cfg.InputLimit = DefaultInputLimit
	}
	if cfg.ReadBuffer <= 0 {
		cfg.ReadBuffer = DefaultReadBuffer
	}
	if cfg.ReadBudget <= 0 {
		cfg.ReadBudget = 4 * cfg.ReadBuffer
	}
	if cfg.UDPBuffer <= 0 {
		cfg.UDPBuffer = DefaultUDPBuffer
	}
	if cfg.UDPBatch <= 0 {
		cfg.UDPBatch = DefaultUDPBatch
	}
	// recvmmsg and sendmmsg take at most UIO_MAXIOV (1024) messages.
	cfg.UDPBatch = min(cfg.UDPBatch, 1024)
	if cfg.Backlog <= 0 {
		cfg.Backlog = 1<<16 - 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}
