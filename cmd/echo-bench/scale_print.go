package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/scale"
)

// printScale prints one engine's scale figures.
func printScale(w io.Writer, r *scale.Result) {
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	fmt.Fprintf(w, "\n%s: %s connections (%s idle, %s active at %.0f msgs/s in all), open file limit %d per process\n",
		r.Engine, commas(r.Conns), commas(r.Conns-r.Active), commas(r.Active), r.Rate, r.NoFile)
	total := ""
	if r.Procs > 1 {
		fmt.Fprintf(w, "  %s connections over %d server processes (SO_REUSEPORT), RSS total %.1f MiB, %.0f B/conn\n",
			commas(r.Conns), r.Procs, mib(r.RSS), r.BytesPerConn)
		for i, s := range r.Servers {
			fmt.Fprintf(w, "  server %-8d %s connections, RSS %.1f MiB (%.1f MiB before), %.0f%% of a core (pid %d)\n",
				i+1, commas(s.Conns), mib(s.RSS), mib(s.RSSBefore), 100*s.CPUUtil, s.PID)
		}
		total = " in all"
	}
	fmt.Fprintf(w, "  server RSS      %.1f MiB%s with all open (%.1f MiB before, peak %.1f MiB): %.0f bytes per connection\n",
		mib(r.RSS), total, mib(r.RSSBefore), mib(r.HWM), r.BytesPerConn)
	fmt.Fprintf(w, "  server CPU      %.0f%% of a core%s, %.2f µs per message; %d threads\n", 100*r.CPUUtil, total, r.CPUUsPerMsg, r.Threads)
	if t := r.Traffic; t != nil {
		merged := ""
		if len(r.Clients) > 1 {
			merged = fmt.Sprintf(" (merged over %d client processes)", len(r.Clients))
		}
		fmt.Fprintf(w, "  traffic         %.0f msgs/s, latency µs p50 %.1f p99 %.1f p99.9 %.1f max %.1f%s\n",
			t.MsgsPerSec, t.Latency.P50, t.Latency.P99, t.Latency.P999, t.Latency.Max, merged)
		if lo, hi, ok := p99Spread(r.Clients); ok {
			fmt.Fprintf(w, "  per process     p99 from %.1f to %.1f µs (each client process's own)\n", lo, hi)
		}
		bound := ""
		if t.Client.Bound {
			bound = "; CLIENT-BOUND: the client ran or waited to run nearly all the time, so latency and rate describe the client more than the server"
		}
		waiting := 0.0
		if t.Seconds > 0 {
			waiting = t.Client.WaitSec / t.Seconds
		}
		fmt.Fprintf(w, "  client CPU      %.0f%% of %d core(s), %.1f worker threads waiting for a CPU on average%s\n",
			100*t.Client.Utilization, t.Client.Cores, waiting, bound)
	}
	if r.Error != "" {
		fmt.Fprintf(w, "  FAILED          %s\n", r.Error)
	} else {
		fmt.Fprintf(w, "  errors          none\n")
	}
}

// p99Spread returns the lowest and highest p99 of the client processes'
// traffic, or false with fewer than two.
func p99Spread(clients []scale.ClientResult) (lo, hi float64, ok bool) {
	n := 0
	for _, c := range clients {
		if c.Traffic == nil {
			continue
		}
		p := c.Traffic.Latency.P99
		if n == 0 || p < lo {
			lo = p
		}
		if n == 0 || p > hi {
			hi = p
		}
		n++
	}
	return lo, hi, n > 1
}

// commas writes n with a comma between each group of three digits.
func commas(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
