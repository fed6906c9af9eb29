// Package metrics exports a running engine's statistics in the Prometheus
// exposition format: a prometheus.Collector that reads engine.Stats at
// scrape time, and an HTTP server for /metrics and, if asked, the
// runtime profiler under /debug/pprof/.
//
// Nothing here runs between scrapes: the engines keep their counters as
// they always have, and a scrape takes one Stats snapshot and turns it
// into constant metrics. The families follow Prometheus naming (rawnet_
// prefix, base units, _total counters) and cover what a load balancer's
// listener exports: connections active, accepted, closed and rejected by
// reason, bytes and frames both ways, errors by kind, output queued,
// reads paused and resumed, the input budget, UDP datagrams and their
// drops, and connection lifetimes. Every family carries an engine label,
// one value per process. A family or series whose value the engine
// cannot know (engine.Stats.Unknown) is left out rather than reported as
// zero; engine/ENGINES.md lists them.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rawnet/rawnet/engine"
)

// Source is what the collector reads: an engine.Server, or anything else
// with a Stats snapshot.
type Source interface {
	Stats() engine.Stats
}

// Collector is a prometheus.Collector of one server's statistics. It is
// safe for concurrent scrapes.
type Collector struct {
	src Source
	udp bool
	d   descs
}

// descs are the descriptions of every family the collector may emit.
type descs struct {
	active, accepted, closed, rejected, lifetime    *prometheus.Desc
	bytesIn, bytesOut, framesIn, framesOut, errors  *prometheus.Desc
	queued, paused, resumed, budgetUsed, budgetSize *prometheus.Desc
	datagramsIn, datagramsOut, datagramsDropped     *prometheus.Desc
}

// NewCollector returns a collector of src's statistics, labelled with the
// engine's name; udp selects the UDP families instead of the TCP ones.
func NewCollector(src Source, engineName string, udp bool) *Collector {
	c := prometheus.Labels{"engine": engineName}
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("rawnet_"+name, help, labels, c)
	}
	return &Collector{src: src, udp: udp, d: descs{
		active:   desc("connections_active", "TCP connections open now."),
		accepted: desc("connections_accepted_total", "TCP connections accepted, those rejected at once included."),
		closed: desc("connections_closed_total",
			"TCP connections closed, by reason: peer (orderly end by the peer), shutdown, idle_timeout, "+
				"write_timeout, io_error, frame_error, input_budget (a large frame found no input budget in time), "+
				"max_conns (rejected at once). Accepted = active + closed once the server is quiet.",
			"reason"),
		rejected: desc("connections_rejected_total",
			"Connections turned away, by reason: max_conns (accepted and closed at once), "+
				"emfile (accept calls that failed for want of descriptors or memory; the peers stay queued), "+
				"input_budget (closed because a large frame found no input budget in time).",
			"reason"),
		lifetime: desc("connection_duration_seconds",
			"How long served TCP connections lasted, observed when they close; rejected ones are not in it."),
		bytesIn:   desc("received_bytes_total", "Payload bytes read from peers."),
		bytesOut:  desc("sent_bytes_total", "Payload bytes written to peers."),
		framesIn:  desc("received_frames_total", "Complete frames received (UDP: datagrams holding exactly one frame)."),
		framesOut: desc("sent_frames_total", "Frames echoed (UDP: datagrams echoed)."),
		errors: desc("errors_total",
			"Failures by kind: frame (bad framing), idle_timeout, write_timeout, io (read or write errors), "+
				"accept (failed accept calls).",
			"kind"),
		queued: desc("output_queued_bytes",
			"Output accepted for sending and not yet taken by the kernel, summed over connections."),
		paused: desc("reads_paused_total",
			"Times reading a connection stopped, by cause: backpressure (its output passed the write limit) "+
				"or input_budget (its large frame waits for input budget).",
			"cause"),
		resumed: desc("reads_resumed_total",
			"Times reading a connection resumed after a pause, by cause, as for rawnet_reads_paused_total.",
			"cause"),
		budgetUsed: desc("input_budget_used_bytes", "Bytes of the server-wide input budget reserved by frames in progress now."),
		budgetSize: desc("input_budget_bytes", "Size of the server-wide input budget for frames in progress."),
		datagramsIn: desc("received_datagrams_total",
			"UDP datagrams received, those dropped included."),
		datagramsOut: desc("sent_datagrams_total", "UDP datagrams echoed."),
		datagramsDropped: desc("dropped_datagrams_total",
			"UDP datagrams dropped, never echoed, by reason: truncated (longer than the receive buffer), "+
				"rate_limited (source over the rate limit), frame_error (not exactly one frame), "+
				"send_error (the echo could not be sent).",
			"reason"),
	}}
}

// Describe sends the description of every family the collector may emit.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	d := &c.d
	for _, x := range []*prometheus.Desc{
		d.active, d.accepted, d.closed, d.rejected, d.lifetime,
		d.bytesIn, d.bytesOut, d.framesIn, d.framesOut, d.errors,
		d.queued, d.paused, d.resumed, d.budgetUsed, d.budgetSize,
		d.datagramsIn, d.datagramsOut, d.datagramsDropped,
	} {
		ch <- x
	}
}

// Collect takes one Stats snapshot and sends it as constant metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Stats()
	d := &c.d
	counter := func(desc *prometheus.Desc, v uint64, label ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v), label...)
	}
	gauge := func(desc *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(v))
	}
	e := s.Errors
	counter(d.bytesIn, s.BytesIn)
	counter(d.bytesOut, s.BytesOut)
	counter(d.framesIn, s.FramesIn)
	counter(d.framesOut, s.Frames)
	counter(d.errors, e.Frame, "frame")
	counter(d.errors, e.IO, "io")
	if c.udp {
		counter(d.datagramsIn, s.Datagrams)
		counter(d.datagramsOut, s.Frames)
		counter(d.datagramsDropped, e.Truncated, "truncated")
		counter(d.datagramsDropped, e.RateLimited, "rate_limited")
		counter(d.datagramsDropped, e.Frame, "frame_error")
		counter(d.datagramsDropped, e.Unechoed, "send_error")
		return
	}
	gauge(d.active, s.Active)
	counter(d.accepted, s.Accepted)
	cl := s.Closed
	for _, r := range []struct {
		v      uint64
		reason string
	}{
		{cl.Peer, "peer"}, {cl.Shutdown, "shutdown"}, {cl.Idle, "idle_timeout"},
		{cl.WriteTimeout, "write_timeout"}, {cl.IO, "io_error"}, {cl.Frame, "frame_error"},
		{cl.MaxConns, "max_conns"},
	} {
		counter(d.closed, r.v, r.reason)
	}
	counter(d.rejected, e.Rejected, "max_conns")
	if !s.Unknown.Has(engine.UnknownEMFILE) {
		counter(d.rejected, e.EMFILE, "emfile")
	}
	counter(d.errors, e.Idle, "idle_timeout")
	counter(d.errors, e.WriteTimeout, "write_timeout")
	counter(d.errors, e.Accept, "accept")
	gauge(d.queued, s.OutputQueued)
	counter(d.paused, e.Backpressure, "backpressure")
	if !s.Unknown.Has(engine.UnknownResumed) {
		counter(d.resumed, s.Resumed, "backpressure")
	}
	if !s.Unknown.Has(engine.UnknownInputBudget) {
		counter(d.closed, cl.Budget, "input_budget")
		counter(d.rejected, e.Budget, "input_budget")
		counter(d.paused, s.BudgetWaits, "input_budget")
		counter(d.resumed, s.BudgetGrants, "input_budget")
		gauge(d.budgetUsed, s.InputBudgetUsed)
		gauge(d.budgetSize, s.InputBudget)
	}
	ch <- lifetime(d.lifetime, s.Lifetime)
}

// lifetime turns the engine's histogram, whose buckets are not
// cumulative, into a Prometheus one, whose buckets are. The count is the
// sum of the buckets, so the histogram is consistent even though its
// buckets were read one at a time.
func lifetime(desc *prometheus.Desc, l engine.Lifetime) prometheus.Metric {
	buckets := make(map[float64]uint64, len(engine.LifetimeBuckets))
	var n uint64
	for i, bound := range engine.LifetimeBuckets {
		n += l.Buckets[i]
		buckets[bound.Seconds()] = n
	}
	return prometheus.MustNewConstHistogram(desc, l.Count(), l.Sum.Seconds(), buckets)
}
