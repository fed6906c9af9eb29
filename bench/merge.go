package bench

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Merge combines the results of runs that loaded servers at the same
// time, from several processes or hosts, into the result one load
// generator making all their traffic would have reported:
//
//   - Messages, bytes, connections, open-loop rates, UDP counts and client
//     CPU and wait seconds and cores add up; loss is recomputed from the
//     sums and jitter weighted by sockets; client utilization (and
//     waiting) is CPU (and wait) seconds over the cores' time, and the
//     result is client-bound when any run was.
//   - The measurement spans from the earliest start to the latest end, and
//     the rates are over that span: runs started together (Config.StartAt)
//     span one window.
//   - Latency comes from the merge of the runs' histograms, bucket for
//     bucket: its percentiles, maximum and mean are exactly those of one
//     histogram fed every round trip of every run, never an average of
//     percentiles.
//
// Every result needs its Histogram (ReadLog sets it); the runs must agree
// in network, framing, sizes, depth and closed or open loop, since a
// merge of different loads describes none of them. Addresses that differ
// are listed, and errors are joined.
func Merge(rs ...*Result) (*Result, error) {
	if len(rs) == 0 {
		return nil, errors.New("bench: nothing to merge")
	}
	first := rs[0]
	out := &Result{Network: first.Network, Framing: first.Framing, Depth: first.Depth, Sizes: first.Sizes}
	var hist *hdrhistogram.Histogram
	var addrs, errs []string
	var cpu, coreTime, jitter float64
	var end time.Time
	for i, r := range rs {
		if err := sameLoad(first, r); err != nil {
			return nil, fmt.Errorf("bench: run %d: %w", i+1, err)
		}
		if r.Histogram == nil {
			return nil, fmt.Errorf("bench: run %d has no histogram to merge", i+1)
		}
		var err error
		if hist, err = combine(hist, r.Histogram); err != nil {
			return nil, fmt.Errorf("bench: run %d: %w", i+1, err)
		}
		if !slices.Contains(addrs, r.Addr) {
			addrs = append(addrs, r.Addr)
		}
		if r.Error != "" {
			errs = append(errs, fmt.Sprintf("run %d: %s", i+1, r.Error))
		}
		if out.Start.IsZero() || r.Start.Before(out.Start) {
			out.Start = r.Start
		}
		if e := r.Start.Add(time.Duration(r.Seconds * float64(time.Second))); e.After(end) {
			end = e
		}
		out.Runs += max(r.Runs, 1)
		out.Conns += r.Conns
		out.Rate += r.Rate
		out.Messages += r.Messages
		out.Bytes += r.Bytes
		if u := r.UDP; u != nil {
			if out.UDP == nil {
				out.UDP = &UDPStats{}
			}
			o := out.UDP
			o.Sent, o.Received, o.Lost = o.Sent+u.Sent, o.Received+u.Received, o.Lost+u.Lost
			o.Late, o.Reordered, o.Duplicates = o.Late+u.Late, o.Reordered+u.Reordered, o.Duplicates+u.Duplicates
			jitter += u.JitterUs * float64(r.Conns)
		}
		c := &out.Client
		c.UserSec += r.Client.UserSec
		c.SysSec += r.Client.SysSec
		c.Cores += r.Client.Cores
		c.WaitSec += r.Client.WaitSec
		c.Bound = c.Bound || r.Client.Bound
		cpu += r.Client.UserSec + r.Client.SysSec
		coreTime += r.Seconds * float64(r.Client.Cores)
	}
	out.Addr = strings.Join(addrs, ",")
	out.Error = strings.Join(errs, "; ")
	out.Seconds = end.Sub(out.Start).Seconds()
	if out.Seconds > 0 {
		out.MsgsPerSec = float64(out.Messages) / out.Seconds
		out.MBPerSec = float64(out.Bytes) / out.Seconds / 1e6
	}
	out.Histogram = hist
	out.Latency = summarize(hist)
	if u := out.UDP; u != nil {
		if u.Sent > 0 {
			u.LossPercent = 100 * float64(u.Lost) / float64(u.Sent)
		}
		if out.Conns > 0 {
			u.JitterUs = jitter / float64(out.Conns)
		}
	}
	if coreTime > 0 {
		out.Client.Utilization = cpu / coreTime
		out.Client.Waiting = out.Client.WaitSec / coreTime
	}
	if out.Messages > 0 {
		out.Client.UsPerMsg = cpu / float64(out.Messages) * 1e6
	}
	return out, nil
}

// sameLoad says how r's load differs from first's, or returns nil when
// they describe the same load.
func sameLoad(first, r *Result) error {
	differ := func(what, a, b string) error {
		return fmt.Errorf("its %s is %s, run 1's %s: a merge of different loads describes neither", what, b, a)
	}
	loop := func(r *Result) string {
		if r.Rate > 0 {
			return "open loop"
		}
		return "closed loop"
	}
	switch {
	case r.Network != first.Network:
		return differ("network", first.Network, r.Network)
	case r.Framing != first.Framing:
		return differ("framing", first.Framing, r.Framing)
	case r.Sizes != first.Sizes:
		return differ("message size", first.Sizes, r.Sizes)
	case loop(r) != loop(first):
		return differ("mode", loop(first), loop(r))
	case r.Rate == 0 && r.Depth != first.Depth:
		return differ("depth", fmt.Sprint(first.Depth), fmt.Sprint(r.Depth))
	}
	return nil
}
