package bench

import (
	"errors"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// ErrMismatch reports an echo that differs from what was sent: corrupted,
// reordered within a TCP stream, or never sent at all.
var ErrMismatch = errors.New("bench: echo does not match what was sent")

// ErrLost reports TCP messages whose echo never came: the server closed the
// connection or did not answer within the drain timeout.
var ErrLost = errors.New("bench: echo lost")

// Result is what one run measured. Times are in microseconds unless a name
// says otherwise.
type Result struct {
	// Network, Addr, Framing, Conns, Depth, Rate and Sizes repeat the
	// configuration that produced the result.
	Network string  `json:"network"`
	Addr    string  `json:"addr"`
	Framing string  `json:"framing"`
	Conns   int     `json:"conns"`
	Depth   int     `json:"depth"`
	Rate    float64 `json:"rate,omitempty"`
	Sizes   string  `json:"sizes"`
	// Start is when the measurement began, on the wall clock. For a
	// merged result it is the earliest start of its runs.
	Start time.Time `json:"start"`
	// Seconds is the length of the measurement; for a merged result,
	// the span from the earliest start to the latest end of its runs.
	Seconds float64 `json:"seconds"`
	// Runs is the number of runs merged into this result (Merge), 0 for
	// a single run.
	Runs int `json:"runs,omitempty"`
	// Messages and Bytes count echoes verified during the measurement;
	// Bytes counts one direction.
	Messages uint64 `json:"messages"`
	Bytes    uint64 `json:"bytes"`
	// MsgsPerSec and MBPerSec are Messages and Bytes per second (MB is
	// 10^6 bytes).
	MsgsPerSec float64 `json:"msgs_per_sec"`
	MBPerSec   float64 `json:"mb_per_sec"`
	// Latency summarises round trips, from send (closed loop) or from
	// the intended send time (open loop) to the echo's arrival.
	Latency Latency `json:"latency"`
	// Histogram holds every round trip of the measurement in
	// nanoseconds, one count per message; Latency is computed from it.
	// It is not part of the JSON form: an HdrHistogram log carries it
	// (LogWriter, ReadLog), and Merge combines it exactly. Nil when
	// nothing was measured or the result was decoded from JSON.
	Histogram *hdrhistogram.Histogram `json:"-"`
	// UDP holds datagram accounting; nil for TCP.
	UDP *UDPStats `json:"udp,omitempty"`
	// Client is the load generator's own CPU use.
	Client ClientCPU `json:"client"`
	// Error is the error that failed the run, if any.
	Error string `json:"error,omitempty"`
}

// Latency is a latency summary in microseconds.
type Latency struct {
	P50  float64 `json:"p50_us"`
	P90  float64 `json:"p90_us"`
	P99  float64 `json:"p99_us"`
	P999 float64 `json:"p999_us"`
	Max  float64 `json:"max_us"`
	Mean float64 `json:"mean_us"`
}

// UDPStats counts datagrams sent during the measurement, iperf3 style.
type UDPStats struct {
	// Sent counts datagrams sent.
	Sent uint64 `json:"sent"`
	// Received counts first echoes within the loss timeout.
	Received uint64 `json:"received"`
	// Lost counts datagrams with no echo within the loss timeout.
	Lost uint64 `json:"lost"`
	// Late counts echoes that came after the loss timeout.
	Late uint64 `json:"late"`
	// Reordered counts echoes that came after a later datagram's echo.
	Reordered uint64 `json:"reordered"`
	// Duplicates counts echoes received more than once.
	Duplicates uint64 `json:"duplicates"`
	// LossPercent is Lost / Sent as a percentage.
	LossPercent float64 `json:"loss_percent"`
	// JitterUs is the mean over sockets of the RFC 3550 jitter of round
	// trip times, in microseconds.
	JitterUs float64 `json:"jitter_us"`
}

// ClientCPU is the load generator process's CPU use during the
// measurement.
type ClientCPU struct {
	// UserSec and SysSec are CPU seconds in user and kernel mode.
	UserSec float64 `json:"user_sec"`
	SysSec  float64 `json:"sys_sec"`
	// Cores is the number of worker threads, each of which can use at
	// most one core.
	Cores int `json:"cores"`
	// Utilization is CPU time over wall time over Cores: 1 means every
	// worker core was busy all the time.
	Utilization float64 `json:"utilization"`
	// UsPerMsg is client CPU microseconds per echoed message.
	UsPerMsg float64 `json:"us_per_msg"`
	// WaitSec is how long the worker threads were ready to run but
	// waited for a CPU, which other threads or processes held; Waiting
	// is that time over wall time over Cores, the share of the time a
	// worker waited. Both are 0 where the kernel keeps no scheduler
	// statistics.
	WaitSec float64 `json:"wait_sec"`
	Waiting float64 `json:"waiting"`
	// Bound is set when the client wanted its cores for ClientBoundAt of
	// the time, running or waiting to run (Utilization + Waiting): the
	// result may measure the client rather than the server.
	Bound bool `json:"client_bound"`
}

// ClientBoundAt is the share of its cores' time the client used or
// waited for from which a result is flagged as client-bound.
const ClientBoundAt = 0.9

// bound reports whether the client wanted its cores, running or waiting
// to run, for ClientBoundAt of the time.
func (c ClientCPU) bound() bool { return c.Utilization+c.Waiting >= ClientBoundAt }

// summarize fills a Latency from a histogram of nanoseconds.
func summarize(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	us := func(ns int64) float64 { return float64(ns) / 1e3 }
	return Latency{
		P50:  us(h.ValueAtPercentile(50)),
		P90:  us(h.ValueAtPercentile(90)),
		P99:  us(h.ValueAtPercentile(99)),
		P999: us(h.ValueAtPercentile(99.9)),
		Max:  us(h.Max()),
		Mean: h.Mean() / 1e3,
	}
}

// clock measures nanoseconds since a run began on the monotonic clock.
type clock struct{ epoch time.Time }

// now returns nanoseconds since the epoch.
func (c clock) now() int64 { return int64(time.Since(c.epoch)) }

// wall returns the wall-clock time of t nanoseconds after the epoch,
// without a monotonic reading.
func (c clock) wall(t int64) time.Time { return c.epoch.Add(time.Duration(t)).Round(0) }
