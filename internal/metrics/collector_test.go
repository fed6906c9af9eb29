package metrics_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/internal/leaktest"
	"github.com/rawnet/rawnet/internal/metrics"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// fixed is a Source that always returns the same snapshot.
type fixed engine.Stats

func (f fixed) Stats() engine.Stats { return engine.Stats(f) }

// busy is a snapshot with a distinct value in every field.
func busy() engine.Stats {
	s := engine.Stats{
		Accepted: 40, Active: 3, Frames: 1000, FramesIn: 1002, BytesIn: 64000, BytesOut: 63900,
		Datagrams: 1100, Resumed: 5, BudgetWaits: 2, BudgetGrants: 1,
		OutputQueued: 4096, InputBudget: 16 << 20, InputBudgetUsed: 1 << 20,
		Closed: engine.CloseStats{Peer: 20, Shutdown: 1, Idle: 2, WriteTimeout: 3, IO: 4, Frame: 5, Budget: 1, MaxConns: 1},
		Errors: engine.ErrorStats{Frame: 5, Truncated: 6, RateLimited: 7, Rejected: 1, Idle: 3, WriteTimeout: 3,
			IO: 4, Accept: 9, EMFILE: 8, Budget: 1, Unechoed: 2, Backpressure: 6},
	}
	for i, d := range []time.Duration{0, 5 * time.Millisecond, 50 * time.Millisecond, 2 * time.Second, 2 * time.Hour} {
		b := engine.LifetimeBucket(d)
		s.Lifetime.Buckets[b] += uint64(i + 1)
		s.Lifetime.Sum += time.Duration(i+1) * d
	}
	return s
}

// TestLint runs client_golang's linter over every shape of exposition the
// collector produces.
func TestLint(t *testing.T) {
	tests := []struct {
		name    string
		stats   engine.Stats
		udp     bool
		unknown engine.Unknown
	}{
		{name: "tcp, empty"},
		{name: "tcp", stats: busy()},
		{name: "tcp, gnet's unknowns", stats: busy(), unknown: engine.UnknownEMFILE | engine.UnknownInputBudget},
		{name: "tcp, resumed unknown", stats: busy(), unknown: engine.UnknownResumed},
		{name: "udp", stats: busy(), udp: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.stats
			s.Unknown = tt.unknown
			problems, err := testutil.CollectAndLint(metrics.NewCollector(fixed(s), "epoll", tt.udp))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				t.Errorf("%s: %s", p.Metric, p.Text)
			}
		})
	}
}

// TestCollect checks each value the collector reports against the
// snapshot it came from.
func TestCollect(t *testing.T) {
	const tcp = `
# HELP rawnet_connections_active TCP connections open now.
# TYPE rawnet_connections_active gauge
rawnet_connections_active{engine="std"} 3
# HELP rawnet_connections_accepted_total TCP connections accepted, those rejected at once included.
# TYPE rawnet_connections_accepted_total counter
rawnet_connections_accepted_total{engine="std"} 40
# TYPE rawnet_connections_closed_total counter
rawnet_connections_closed_total{engine="std",reason="frame_error"} 5
rawnet_connections_closed_total{engine="std",reason="idle_timeout"} 2
rawnet_connections_closed_total{engine="std",reason="input_budget"} 1
rawnet_connections_closed_total{engine="std",reason="io_error"} 4
rawnet_connections_closed_total{engine="std",reason="max_conns"} 1
rawnet_connections_closed_total{engine="std",reason="peer"} 20
rawnet_connections_closed_total{engine="std",reason="shutdown"} 1
rawnet_connections_closed_total{engine="std",reason="write_timeout"} 3
# TYPE rawnet_connections_rejected_total counter
rawnet_connections_rejected_total{engine="std",reason="emfile"} 8
rawnet_connections_rejected_total{engine="std",reason="input_budget"} 1
rawnet_connections_rejected_total{engine="std",reason="max_conns"} 1
# TYPE rawnet_connection_duration_seconds histogram
rawnet_connection_duration_seconds_bucket{engine="std",le="0.001"} 1
rawnet_connection_duration_seconds_bucket{engine="std",le="0.01"} 3
rawnet_connection_duration_seconds_bucket{engine="std",le="0.1"} 6
rawnet_connection_duration_seconds_bucket{engine="std",le="1"} 6
rawnet_connection_duration_seconds_bucket{engine="std",le="10"} 10
rawnet_connection_duration_seconds_bucket{engine="std",le="60"} 10
rawnet_connection_duration_seconds_bucket{engine="std",le="600"} 10
rawnet_connection_duration_seconds_bucket{engine="std",le="3600"} 10
rawnet_connection_duration_seconds_bucket{engine="std",le="+Inf"} 15
rawnet_connection_duration_seconds_sum{engine="std"} 36008.16
rawnet_connection_duration_seconds_count{engine="std"} 15
# TYPE rawnet_received_frames_total counter
rawnet_received_frames_total{engine="std"} 1002
# TYPE rawnet_sent_frames_total counter
rawnet_sent_frames_total{engine="std"} 1000
# TYPE rawnet_received_bytes_total counter
rawnet_received_bytes_total{engine="std"} 64000
# TYPE rawnet_sent_bytes_total counter
rawnet_sent_bytes_total{engine="std"} 63900
# TYPE rawnet_errors_total counter
rawnet_errors_total{engine="std",kind="accept"} 9
rawnet_errors_total{engine="std",kind="frame"} 5
rawnet_errors_total{engine="std",kind="idle_timeout"} 3
rawnet_errors_total{engine="std",kind="io"} 4
rawnet_errors_total{engine="std",kind="write_timeout"} 3
# TYPE rawnet_output_queued_bytes gauge
rawnet_output_queued_bytes{engine="std"} 4096
# TYPE rawnet_reads_paused_total counter
rawnet_reads_paused_total{cause="backpressure",engine="std"} 6
rawnet_reads_paused_total{cause="input_budget",engine="std"} 2
# TYPE rawnet_reads_resumed_total counter
rawnet_reads_resumed_total{cause="backpressure",engine="std"} 5
rawnet_reads_resumed_total{cause="input_budget",engine="std"} 1
# TYPE rawnet_input_budget_used_bytes gauge
rawnet_input_budget_used_bytes{engine="std"} 1.048576e+06
# TYPE rawnet_input_budget_bytes gauge
rawnet_input_budget_bytes{engine="std"} 1.6777216e+07
`
	const udp = `
# TYPE rawnet_received_datagrams_total counter
rawnet_received_datagrams_total{engine="std"} 1100
# TYPE rawnet_sent_datagrams_total counter
rawnet_sent_datagrams_total{engine="std"} 1000
# TYPE rawnet_dropped_datagrams_total counter
rawnet_dropped_datagrams_total{engine="std",reason="frame_error"} 5
rawnet_dropped_datagrams_total{engine="std",reason="rate_limited"} 7
rawnet_dropped_datagrams_total{engine="std",reason="send_error"} 2
rawnet_dropped_datagrams_total{engine="std",reason="truncated"} 6
`
	tests := []struct {
		name  string
		udp   bool
		want  string
		names []string
	}{
		{name: "tcp", want: tcp, names: familyNames(tcp)},
		{name: "udp", udp: true, want: udp, names: familyNames(udp)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := metrics.NewCollector(fixed(busy()), "std", tt.udp)
			if err := testutil.CollectAndCompare(c, strings.NewReader(helpFrom(c, tt.want)), tt.names...); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestFamiliesByNetwork checks that a TCP server exports no UDP family and
// a UDP server no connection family.
func TestFamiliesByNetwork(t *testing.T) {
	tests := []struct {
		name   string
		udp    bool
		absent []string
	}{
		{name: "tcp", absent: []string{"rawnet_received_datagrams_total", "rawnet_dropped_datagrams_total"}},
		{name: "udp", udp: true, absent: []string{"rawnet_connections_active", "rawnet_connection_duration_seconds", "rawnet_output_queued_bytes"}},
	}
	for _, tt := range tests {
		c := metrics.NewCollector(fixed(busy()), "std", tt.udp)
		for _, name := range tt.absent {
			if n := testutil.CollectAndCount(c, name); n != 0 {
				t.Errorf("%s: %d series of %s, want none", tt.name, n, name)
			}
		}
	}
}

// TestUnknownLeftOut checks that a series the engine cannot know is left
// out, not reported as zero.
func TestUnknownLeftOut(t *testing.T) {
	tests := []struct {
		name    string
		unknown engine.Unknown
		family  string
		want    int
	}{
		{name: "resumed known", family: "rawnet_reads_resumed_total", want: 2},
		{name: "resumed unknown", unknown: engine.UnknownResumed, family: "rawnet_reads_resumed_total", want: 1},
		{name: "emfile unknown", unknown: engine.UnknownEMFILE, family: "rawnet_connections_rejected_total", want: 2},
		{name: "no input budget", unknown: engine.UnknownInputBudget, family: "rawnet_input_budget_bytes", want: 0},
		{name: "no input budget, rejections", unknown: engine.UnknownInputBudget, family: "rawnet_connections_rejected_total", want: 2},
		{name: "no input budget, closes", unknown: engine.UnknownInputBudget, family: "rawnet_connections_closed_total", want: 7},
	}
	for _, tt := range tests {
		s := busy()
		s.Unknown = tt.unknown
		if n := testutil.CollectAndCount(metrics.NewCollector(fixed(s), "gnet", false), tt.family); n != tt.want {
			t.Errorf("%s: %d series of %s, want %d", tt.name, n, tt.family, tt.want)
		}
	}
}

// familyNames returns the families a text exposition names in TYPE lines.
func familyNames(text string) []string {
	var names []string
	for _, l := range strings.Split(text, "\n") {
		if f := strings.Fields(l); len(f) == 4 && f[1] == "TYPE" {
			names = append(names, f[2])
		}
	}
	return names
}

// helpFrom adds to want the HELP line the collector gives each family, so
// that the expected text need not repeat them.
func helpFrom(c *metrics.Collector, want string) string {
	got, err := testutil.CollectAndFormat(c, expfmt.TypeTextPlain, familyNames(want)...)
	if err != nil {
		return want
	}
	help := make(map[string]string)
	for _, l := range strings.Split(string(got), "\n") {
		if f := strings.Fields(l); len(f) >= 3 && f[1] == "HELP" {
			help[f[2]] = l
		}
	}
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if f := strings.Fields(l); len(f) == 4 && f[1] == "TYPE" {
			if h, ok := help[f[2]]; ok && !strings.Contains(want, "# HELP "+f[2]+" ") {
				b.WriteString(h + "\n")
			}
		}
		b.WriteString(l + "\n")
	}
	return b.String()
}

// BenchmarkCollect measures what one scrape of the rawnet families costs
// beyond the engine's Stats call: building the constant metrics.
func BenchmarkCollect(b *testing.B) {
	c := metrics.NewCollector(fixed(busy()), "epoll", false)
	ch := make(chan prometheus.Metric, 64)
	b.ReportAllocs()
	for b.Loop() {
		c.Collect(ch)
		for len(ch) > 0 {
			<-ch
		}
	}
}
