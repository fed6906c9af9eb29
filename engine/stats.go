package engine

import "time"

// Stats is a snapshot of a server's counters and gauges. Counters only
// grow while the server runs; Active, OutputQueued and InputBudgetUsed are
// gauges. Unknown names the fields an engine cannot know, which then read
// zero.
type Stats struct {
	// Accepted counts TCP connections accepted, including rejected ones.
	Accepted uint64 `json:"accepted"`
	// Active is the number of TCP connections open now.
	Active int64 `json:"active"`
	// Closed counts TCP connections closed, by reason. Once the server is
	// quiet, Accepted = Active + Closed.Total().
	Closed CloseStats `json:"closed"`
	// Frames counts frames (or datagrams) echoed.
	Frames uint64 `json:"frames"`
	// FramesIn counts complete frames (or datagrams holding exactly one
	// frame) received: Frames plus Errors.Unechoed.
	FramesIn uint64 `json:"frames_in"`
	// BytesIn and BytesOut count payload bytes read and written.
	BytesIn  uint64 `json:"bytes_in"`
	BytesOut uint64 `json:"bytes_out"`
	// Datagrams counts UDP datagrams received, those dropped included.
	Datagrams uint64 `json:"datagrams"`
	// Resumed counts the times reading a connection resumed after
	// backpressure paused it (Errors.Backpressure counts the pauses).
	Resumed uint64 `json:"resumed"`
	// BudgetWaits counts the times reading a connection paused to wait
	// for input budget for a large frame, and BudgetGrants the times such
	// a wait ended with the budget granted and reading resumed.
	BudgetWaits  uint64 `json:"budget_waits"`
	BudgetGrants uint64 `json:"budget_grants"`
	// OutputQueued is the output, in bytes, accepted for sending and not
	// yet taken by the kernel, summed over connections.
	OutputQueued int64 `json:"output_queued"`
	// InputBudget is the size of the server-wide input budget
	// (Config.InputBudget) and InputBudgetUsed the bytes of it reserved
	// now, in bytes; both are zero for UDP servers.
	InputBudget     int64 `json:"input_budget"`
	InputBudgetUsed int64 `json:"input_budget_used"`
	// Lifetime is the distribution of how long served TCP connections
	// lasted, observed when they close; connections rejected at once for
	// MaxConns are not in it.
	Lifetime Lifetime `json:"lifetime"`
	// Errors counts failures by kind.
	Errors ErrorStats `json:"errors"`
	// Unknown names the fields this engine cannot know.
	Unknown Unknown `json:"-"`
}

// CloseStats counts TCP connections closed, by reason. Each closed
// connection counts once, under the first reason that applies.
type CloseStats struct {
	// Peer counts orderly ends: the peer closed its side.
	Peer uint64 `json:"peer"`
	// Shutdown counts connections closed by Shutdown, drained or forced.
	Shutdown uint64 `json:"shutdown"`
	// Idle counts connections closed by the idle timeout, which also
	// bounds a frame in progress.
	Idle uint64 `json:"idle"`
	// WriteTimeout counts connections whose output made no progress
	// within the write timeout.
	WriteTimeout uint64 `json:"write_timeout"`
	// IO counts connections ended by a read or write error, or by a
	// panic while serving them.
	IO uint64 `json:"io"`
	// Frame counts connections closed for bad framing.
	Frame uint64 `json:"frame"`
	// Budget counts connections closed because their large frame could
	// not get input budget in time (Errors.Budget).
	Budget uint64 `json:"budget"`
	// MaxConns counts connections accepted and closed at once because
	// MaxConns were open (Errors.Rejected).
	MaxConns uint64 `json:"max_conns"`
}

// Add adds the closes of b to c, as an engine sums its loops' counters.
func (c *CloseStats) Add(b CloseStats) {
	c.Peer += b.Peer
	c.Shutdown += b.Shutdown
	c.Idle += b.Idle
	c.WriteTimeout += b.WriteTimeout
	c.IO += b.IO
	c.Frame += b.Frame
	c.Budget += b.Budget
}

// Total returns the connections closed for any reason.
func (c CloseStats) Total() uint64 {
	return c.Peer + c.Shutdown + c.Idle + c.WriteTimeout + c.IO + c.Frame + c.Budget + c.MaxConns
}

// LifetimeBuckets are the upper bounds of Lifetime's buckets, shortest
// first; a last bucket holds the longer lifetimes.
var LifetimeBuckets = [...]time.Duration{
	time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond,
	time.Second, 10 * time.Second, time.Minute, 10 * time.Minute, time.Hour,
}

// Lifetime is a histogram of connection lifetimes.
type Lifetime struct {
	// Buckets counts the lifetimes of at most LifetimeBuckets[i] (and
	// more than the bound before it); the last counts the rest. It is
	// not cumulative.
	Buckets [len(LifetimeBuckets) + 1]uint64 `json:"buckets"`
	// Sum is the lifetimes added up.
	Sum time.Duration `json:"sum_ns"`
}

// Count returns the lifetimes observed.
func (l Lifetime) Count() uint64 {
	var n uint64
	for _, b := range l.Buckets {
		n += b
	}
	return n
}

// LifetimeBucket returns the index in Lifetime.Buckets of a lifetime d.
func LifetimeBucket(d time.Duration) int {
	for i, b := range LifetimeBuckets {
		if d <= b {
			return i
		}
	}
	return len(LifetimeBuckets)
}

// ErrorStats counts failures by kind.
type ErrorStats struct {
	// Frame counts connections closed, or datagrams dropped, for bad
	// framing: a frame over the limit or a bad header.
	Frame uint64 `json:"frame"`
	// Truncated counts UDP datagrams dropped because they did not fit the
	// receive buffer.
	Truncated uint64 `json:"truncated"`
	// RateLimited counts UDP datagrams dropped, never echoed, because
	// their source was over Config.UDPRateLimit.
	RateLimited uint64 `json:"rate_limited"`
	// Rejected counts connections closed at once because MaxConns was
	// reached.
	Rejected uint64 `json:"rejected"`
	// Idle counts connections closed by the idle timeout.
	Idle uint64 `json:"idle"`
	// WriteTimeout counts connections closed because output made no
	// progress within the write timeout.
	WriteTimeout uint64 `json:"write_timeout"`
	// IO counts connections ended by a read or write error such as
	// ECONNRESET or EPIPE.
	IO uint64 `json:"io"`
	// Accept counts failed accept calls, such as EMFILE.
	Accept uint64 `json:"accept"`
	// EMFILE counts the accept calls among Accept that failed for want
	// of descriptors or kernel memory (EMFILE, ENFILE, ENOBUFS, ENOMEM):
	// the peers stay queued until descriptors come back.
	EMFILE uint64 `json:"emfile"`
	// Budget counts connections closed because the frame they were
	// sending could not get input budget: those whose frame ran out of
	// time waiting also count in Idle.
	Budget uint64 `json:"budget"`
	// Unechoed counts complete frames (TCP) or datagrams holding one
	// frame (UDP) whose echo failed.
	Unechoed uint64 `json:"unechoed"`
	// Backpressure counts the times reading a connection was paused
	// because its output passed the write limit.
	Backpressure uint64 `json:"backpressure"`
}

// Unknown is a set of Stats fields an engine cannot know.
type Unknown uint8

// The Stats fields an engine may not know.
const (
	// UnknownResumed: the engine does not see reading resume after
	// backpressure (Stats.Resumed).
	UnknownResumed Unknown = 1 << iota
	// UnknownEMFILE: the engine cannot tell descriptor exhaustion from
	// other accept failures (Errors.EMFILE), or stops on it.
	UnknownEMFILE
	// UnknownInputBudget: the engine has no input budget
	// (InputBudget, InputBudgetUsed, BudgetWaits, BudgetGrants,
	// Errors.Budget).
	UnknownInputBudget
)

// Has reports whether u holds every field of f.
func (u Unknown) Has(f Unknown) bool { return u&f == f }
