package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rawnet/rawnet/relay"
)

// collector exports a relay's Stats at scrape time, under the rawnet_relay_
// prefix; nothing runs between scrapes.
type collector struct {
	r                                      *relay.Relay
	active, accepted, closed, bytes, pathB *prometheus.Desc
	held, pipes, noPipe                    *prometheus.Desc
	grown, grows, growRefused, overBudget  *prometheus.Desc
}

func newCollector(r *relay.Relay) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("rawnet_relay_"+name, help, labels, nil)
	}
	return &collector{
		r:        r,
		active:   d("pairs_active", "Client connections paired with an upstream (or connecting to one) now."),
		accepted: d("pairs_accepted_total", "Client connections accepted, those turned away at --max-conns included."),
		closed: d("pairs_closed_total", "Pairs ended, by reason: done (both FINs passed on), client_reset, upstream_reset, "+
			"connect_refused, connect_timeout, connect_error, idle_timeout, shutdown, max_conns.", "reason"),
		bytes:  d("forwarded_bytes_total", "Bytes forwarded, by direction: up (client to upstream) or down.", "direction"),
		pathB:  d("path_bytes_total", "Bytes forwarded, by data path: splice or copy.", "path"),
		held:   d("held_bytes", "Bytes read from one side and not yet written to the other, in pipes and buffers."),
		pipes:  d("pipes", "Pipes open now, lent to directions or pooled."),
		noPipe: d("no_pipe_total", "Reads that copied because no pipe could be made (descriptors or pipe quota exhausted)."),
		grown:  d("pipes_grown", "Pipes grown to 1MiB for bulk transfers open now, lent or pooled; among rawnet_relay_pipes."),
		grows:  d("pipe_grows_total", "Pipes grown with F_SETPIPE_SZ for bulk transfers."),
		growRefused: d("pipe_grow_refused_total", "F_SETPIPE_SZ refusals to grow a pipe (fs.pipe-max-size or the user's pipe quota); "+
			"the pipe kept its size and went on splicing."),
		overBudget: d("pipe_grow_over_budget_total", "Bulk reads through a pipe of the default size because grown pipes held --pipe-grow-max."),
	}
}

// Describe sends every family's description.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.active, c.accepted, c.closed, c.bytes, c.pathB, c.held, c.pipes, c.noPipe,
		c.grown, c.grows, c.growRefused, c.overBudget} {
		ch <- d
	}
}

// Collect sends one Stats snapshot as constant metrics.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.r.Stats()
	counter := func(d *prometheus.Desc, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	gauge := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	gauge(c.active, s.Active)
	counter(c.accepted, s.Accepted)
	cl := s.Closed
	for _, r := range []struct {
		v      uint64
		reason string
	}{
		{cl.Done, "done"}, {cl.ClientReset, "client_reset"}, {cl.UpstreamReset, "upstream_reset"},
		{cl.ConnectRefused, "connect_refused"}, {cl.ConnectTimeout, "connect_timeout"}, {cl.ConnectError, "connect_error"},
		{cl.IdleTimeout, "idle_timeout"}, {cl.Shutdown, "shutdown"}, {cl.MaxConns, "max_conns"},
	} {
		counter(c.closed, r.v, r.reason)
	}
	counter(c.bytes, s.BytesUp, "up")
	counter(c.bytes, s.BytesDown, "down")
	counter(c.pathB, s.Spliced, "splice")
	counter(c.pathB, s.Copied, "copy")
	gauge(c.held, s.Held)
	gauge(c.pipes, s.Pipes)
	counter(c.noPipe, s.NoPipe)
	gauge(c.grown, s.GrownPipes)
	counter(c.grows, s.PipeGrows)
	counter(c.growRefused, s.PipeGrowRefused)
	counter(c.overBudget, s.PipeGrowOverBudget)
}

// registry holds the relay's collector and the Go runtime and process
// collectors, as echo-tcp's does.
func registry(r *relay.Relay) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(r), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
