package scale

import (
	"strings"

	"github.com/rawnet/rawnet/bench"
)

// mergeResults combines the results of several client processes, picked
// from each by pick, into one, or returns nil when none has one. Counts,
// rates and CPU add up; Seconds is the longest; errors are joined.
// Latency percentiles and the maximum are the worst process's, an upper
// bound: percentiles of separate histograms do not combine exactly. The
// mean is weighted by messages.
func mergeResults(rs []ClientResult, pick func(*ClientResult) *bench.Result) *bench.Result {
	var out *bench.Result
	var errs []string
	var clientCPU float64 // CPU seconds per second, all processes
	for i := range rs {
		r := pick(&rs[i])
		if r == nil {
			continue
		}
		if out == nil {
			out = &bench.Result{Network: r.Network, Addr: r.Addr, Framing: r.Framing, Depth: r.Depth, Sizes: r.Sizes}
		}
		out.Conns += r.Conns
		out.Rate += r.Rate
		out.Seconds = max(out.Seconds, r.Seconds)
		if n := out.Messages + r.Messages; n > 0 {
			out.Latency.Mean = (out.Latency.Mean*float64(out.Messages) + r.Latency.Mean*float64(r.Messages)) / float64(n)
		}
		out.Messages += r.Messages
		out.Bytes += r.Bytes
		out.MsgsPerSec += r.MsgsPerSec
		out.MBPerSec += r.MBPerSec
		l := &out.Latency
		l.P50, l.P90, l.P99 = max(l.P50, r.Latency.P50), max(l.P90, r.Latency.P90), max(l.P99, r.Latency.P99)
		l.P999, l.Max = max(l.P999, r.Latency.P999), max(l.Max, r.Latency.Max)
		c := &out.Client
		c.UserSec += r.Client.UserSec
		c.SysSec += r.Client.SysSec
		c.Cores += r.Client.Cores
		c.Bound = c.Bound || r.Client.Bound
		clientCPU += r.Client.Utilization * float64(r.Client.Cores)
		if r.Error != "" {
			errs = append(errs, r.Error)
		}
	}
	if out == nil {
		return nil
	}
	if out.Client.Cores > 0 {
		out.Client.Utilization = clientCPU / float64(out.Client.Cores)
	}
	if out.MsgsPerSec > 0 {
		out.Client.UsPerMsg = clientCPU / out.MsgsPerSec * 1e6
	}
	out.Error = strings.Join(errs, "; ")
	return out
}
