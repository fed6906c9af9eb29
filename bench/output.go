package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// WriteText writes a human-readable summary of r.
func (r *Result) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	mode := fmt.Sprintf("closed loop, depth %d", r.Depth)
	if r.Rate > 0 {
		mode = fmt.Sprintf("open loop, %.0f msgs/s", r.Rate)
	}
	fmt.Fprintf(tw, "target\t%s %s, %s framing, %d conns, %s, size %s B\n", r.Network, r.Addr, r.Framing, r.Conns, mode, r.Sizes)
	if r.Runs > 1 {
		fmt.Fprintf(tw, "merged\t%d runs; percentiles are exact over every round trip of every run\n", r.Runs)
	}
	fmt.Fprintf(tw, "measured\t%.2f s, %d messages, %d bytes each way\n", r.Seconds, r.Messages, r.Bytes)
	fmt.Fprintf(tw, "throughput\t%.0f msgs/s\t%.2f MB/s\n", r.MsgsPerSec, r.MBPerSec)
	l := r.Latency
	fmt.Fprintf(tw, "latency µs\tp50 %.1f\tp90 %.1f\tp99 %.1f\tp99.9 %.1f\tmax %.1f\tmean %.1f\n", l.P50, l.P90, l.P99, l.P999, l.Max, l.Mean)
	if u := r.UDP; u != nil {
		fmt.Fprintf(tw, "datagrams\tsent %d\treceived %d\tlost %d (%.3f%%)\tlate %d\treordered %d\tduplicates %d\tjitter %.1f µs\n",
			u.Sent, u.Received, u.Lost, u.LossPercent, u.Late, u.Reordered, u.Duplicates, u.JitterUs)
	}
	c := r.Client
	bound := ""
	if c.Bound {
		bound = "\tCLIENT-BOUND: the client's cores were saturated; the server may be faster than this shows"
	}
	waited := ""
	if c.Waiting >= 0.005 {
		waited = fmt.Sprintf(", workers waited for a CPU %.0f%% of the time", 100*c.Waiting)
	}
	fmt.Fprintf(tw, "client CPU\t%.0f%% of %d core(s)\t%.2f µs/msg%s%s\n", 100*c.Utilization, c.Cores, c.UsPerMsg, waited, bound)
	if r.Error != "" {
		fmt.Fprintf(tw, "error\t%s\n", r.Error)
	}
	return tw.Flush()
}

// WriteJSON writes r as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// CSVHeader is the header row WriteCSV writes before its records.
var CSVHeader = []string{
	"network", "addr", "framing", "conns", "depth", "rate", "sizes", "seconds", "messages", "bytes",
	"msgs_per_sec", "mb_per_sec", "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "mean_us",
	"udp_sent", "udp_lost", "udp_late", "udp_reordered", "udp_duplicates", "udp_jitter_us",
	"client_utilization", "client_us_per_msg", "client_bound", "error", "runs", "client_waiting",
}

// CSVRecord returns r as one row under CSVHeader.
func (r *Result) CSVRecord() []string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	var udp UDPStats
	if r.UDP != nil {
		udp = *r.UDP
	}
	return []string{
		r.Network, r.Addr, r.Framing, strconv.Itoa(r.Conns), strconv.Itoa(r.Depth), f(r.Rate), r.Sizes,
		f(r.Seconds), u(r.Messages), u(r.Bytes), f(r.MsgsPerSec), f(r.MBPerSec),
		f(r.Latency.P50), f(r.Latency.P90), f(r.Latency.P99), f(r.Latency.P999), f(r.Latency.Max), f(r.Latency.Mean),
		u(udp.Sent), u(udp.Lost), u(udp.Late), u(udp.Reordered), u(udp.Duplicates), f(udp.JitterUs),
		f(r.Client.Utilization), f(r.Client.UsPerMsg), strconv.FormatBool(r.Client.Bound), r.Error,
		strconv.Itoa(max(r.Runs, 1)), f(r.Client.Waiting),
	}
}

// WriteCSV writes a header row and r as one record.
func (r *Result) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	if err := cw.Write(r.CSVRecord()); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
