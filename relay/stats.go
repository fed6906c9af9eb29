package relay

import "sync/atomic"

// Stats counts what a Relay did since it started. Pairs are counted once
// each, by the reason they ended.
type Stats struct {
	// Accepted counts client connections accepted, rejected ones included.
	Accepted uint64
	// Active is the number of pairs open now, those still connecting
	// to their upstream included.
	Active int64
	// BytesUp and BytesDown count bytes forwarded from clients to
	// upstreams and back.
	BytesUp, BytesDown uint64
	// Spliced and Copied split the forwarded bytes by data path.
	Spliced, Copied uint64
	// Held is the bytes read from one side and not yet written to the
	// other, in pipes and buffers, now: at most one pipe or one 64 KiB
	// buffer per direction.
	Held int64
	// Pipes is the number of pipes open now, lent or pooled.
	Pipes int64
	// NoPipe counts reads that copied because no pipe could be made
	// (EMFILE, or the per-user pipe quota).
	NoPipe uint64
	// GrownPipes is the number of pipes grown for bulk transfers open
	// now, lent or pooled (Config.PipeGrowMax); they are among Pipes.
	GrownPipes int64
	// PipeGrows counts pipes grown with F_SETPIPE_SZ.
	PipeGrows uint64
	// PipeGrowRefused counts F_SETPIPE_SZ refusals to grow a pipe (over
	// fs.pipe-max-size or the user's pipe quota): the pipe kept its size
	// and went on splicing, and is not asked again.
	PipeGrowRefused uint64
	// PipeGrowOverBudget counts reads by a bulk direction that went
	// through a pipe of the default size because grown pipes already
	// held Config.PipeGrowMax.
	PipeGrowOverBudget uint64
	// Closed counts ended pairs by reason.
	Closed Closes
}

// Closes counts ended pairs by reason.
type Closes struct {
	// Done: both directions ended with a FIN.
	Done uint64
	// ClientReset and UpstreamReset: a read or write on that side failed
	// (ECONNRESET, EPIPE...); the other side is reset too.
	ClientReset, UpstreamReset uint64
	// ConnectRefused, ConnectTimeout and ConnectError: the upstream
	// connection could not be made (ECONNREFUSED; --connect-timeout or
	// the kernel's ETIMEDOUT; anything else, such as EHOSTUNREACH or
	// EMFILE).
	ConnectRefused, ConnectTimeout, ConnectError uint64
	// IdleTimeout: neither side moved a byte for Config.IdleTimeout.
	IdleTimeout uint64
	// Shutdown: closed by Shutdown's drain.
	Shutdown uint64
	// MaxConns: the client was turned away at Config.MaxConns.
	MaxConns uint64
}

// Total returns the pairs ended for any reason.
func (c Closes) Total() uint64 {
	return c.Done + c.ClientReset + c.UpstreamReset + c.ConnectRefused + c.ConnectTimeout +
		c.ConnectError + c.IdleTimeout + c.Shutdown + c.MaxConns
}

// reason is why a pair ended, an index into counters.closed.
type reason uint8

const (
	reasonDone reason = iota
	reasonClientReset
	reasonUpstreamReset
	reasonConnectRefused
	reasonConnectTimeout
	reasonConnectError
	reasonIdle
	reasonShutdown
	reasonMaxConns
	numReasons
)

// String names the reason as logs and metrics do.
func (r reason) String() string {
	return [...]string{"done", "client_reset", "upstream_reset", "connect_refused", "connect_timeout",
		"connect_error", "idle_timeout", "shutdown", "max_conns", "unknown"}[min(r, numReasons)]
}

// counters are one loop's live counters, written by that loop only.
type counters struct {
	accepted, bytesUp, bytesDown, spliced, copied, noPipe atomic.Uint64
	grows, growRefused, growOverBudget                    atomic.Uint64
	active, held, pipes, grown                            atomic.Int64
	closed                                                [numReasons]atomic.Uint64
	_                                                     [64]byte // keeps the next loop's off this cache line
}

// addTo adds c to s.
func (c *counters) addTo(s *Stats) {
	s.Accepted += c.accepted.Load()
	s.Active += c.active.Load()
	s.BytesUp += c.bytesUp.Load()
	s.BytesDown += c.bytesDown.Load()
	s.Spliced += c.spliced.Load()
	s.Copied += c.copied.Load()
	s.NoPipe += c.noPipe.Load()
	s.Held += c.held.Load()
	s.Pipes += c.pipes.Load()
	s.GrownPipes += c.grown.Load()
	s.PipeGrows += c.grows.Load()
	s.PipeGrowRefused += c.growRefused.Load()
	s.PipeGrowOverBudget += c.growOverBudget.Load()
	cl := &s.Closed
	for r, p := range []*uint64{&cl.Done, &cl.ClientReset, &cl.UpstreamReset, &cl.ConnectRefused,
		&cl.ConnectTimeout, &cl.ConnectError, &cl.IdleTimeout, &cl.Shutdown, &cl.MaxConns} {
		*p += c.closed[r].Load()
	}
}
