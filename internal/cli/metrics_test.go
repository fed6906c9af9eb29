package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rawnet/rawnet/engine/all"
)

// scrapeWait bounds how long a test polls /metrics for the server to
// count what its client did.
const scrapeWait = 10 * time.Second

// metricsURL returns the metrics URL the listening line states.
func (s *server) metricsURL(t *testing.T) string {
	t.Helper()
	for _, f := range strings.Fields(s.line) {
		if v, ok := strings.CutPrefix(f, "metrics="); ok {
			u, err := url.Parse(v)
			if err != nil {
				t.Fatalf("listening line %q: metrics=%q: %v", s.line, v, err)
			}
			if _, port, err := net.SplitHostPort(u.Host); err != nil || port == "0" {
				t.Fatalf("listening line %q: metrics address %q lacks the port the kernel chose", s.line, u.Host)
			}
			return v
		}
	}
	t.Fatalf("listening line %q does not state the metrics address", s.line)
	return ""
}

// get fetches u and returns the status and body.
func get(t *testing.T, u string) (int, []byte) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp.StatusCode, body
}

// families is a parsed scrape.
type families map[string]*dto.MetricFamily

// scrape fetches and parses the metrics at u.
func scrape(t *testing.T, u string) families {
	t.Helper()
	code, body := get(t, u)
	if code != http.StatusOK {
		t.Fatalf("GET %s: status %d:\n%s", u, code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parsing the scrape of %s: %v", u, err)
	}
	return fams
}

// value returns the value of the series of family name whose labels
// include every name=value pair of labels, or -1 if there is none. A
// histogram's value is its count.
func (f families) value(name string, labels ...string) float64 {
	mf, ok := f[name]
	if !ok {
		return -1
	}
	for _, m := range mf.GetMetric() {
		if hasLabels(m, labels) {
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return -1
}

// sum returns the sum of every series of family name, or -1 if there is
// none.
func (f families) sum(name string) float64 {
	mf, ok := f[name]
	if !ok || len(mf.GetMetric()) == 0 {
		return -1
	}
	var n float64
	for _, m := range mf.GetMetric() {
		n += m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	return n
}

func hasLabels(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// waitScrape scrapes u until done holds for the scrape, and returns it.
func waitScrape(t *testing.T, u, what string, done func(families) bool) families {
	t.Helper()
	deadline := time.Now().Add(scrapeWait)
	for {
		f := scrape(t, u)
		if done(f) {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s within %v", what, scrapeWait)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

// totals parses the key=value fields of a totals line.
func totals(t *testing.T, rest string) map[string]float64 {
	t.Helper()
	line := ""
	for _, l := range strings.Split(rest, "\n") {
		if strings.HasPrefix(l, "totals: ") {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no totals line in %q", rest)
	}
	m := make(map[string]float64)
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("totals line %q: %s: %v", line, f, err)
			}
			if _, dup := m[k]; !dup {
				m[k] = n
			}
		}
	}
	return m
}

// check compares named values and reports each that differs or is
// missing from got.
func check(t *testing.T, what string, got, want map[string]float64) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("%s: %s = %v (present %v), want %v", what, k, g, ok, w)
		}
	}
}

// pick returns the named entries of m.
func pick(m map[string]float64, keys ...string) map[string]float64 {
	p := make(map[string]float64, len(keys))
	for _, k := range keys {
		p[k] = m[k]
	}
	return p
}

// TestMetricsTCP drives a known TCP workload through every engine and
// checks what /metrics reports against what the client did and against
// the totals printed at shutdown, then that shutdown closed the metrics
// server.
func TestMetricsTCP(t *testing.T) {
	const conns, frames = 4, 25
	for _, name := range all.Names() {
		t.Run(name, func(t *testing.T) {
			s := startRun(t, tcpCmd, "--addr", "127.0.0.1:0", "--engine", name, "--framing", "line", "--loops", "2",
				"--metrics-addr", "127.0.0.1:0")
			mu := s.metricsURL(t)
			var sent int
			for i := range conns {
				var msg []byte
				for j := range frames {
					msg = append(msg, fmt.Sprintf("connection %d frame %02d %s\n", i, j, strings.Repeat("x", i*j))...)
				}
				c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := c.Write(msg); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, len(msg))
				if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("connection %d: echo of %d bytes: %v", i, len(msg), err)
				}
				c.Close()
				sent += len(msg)
			}
			f := waitScrape(t, mu, "the closes not counted", func(f families) bool {
				return f.value("rawnet_connections_active") == 0 && f.sum("rawnet_connections_closed_total") == conns
			})
			scraped := map[string]float64{
				"accepted":  f.value("rawnet_connections_accepted_total"),
				"closed":    f.sum("rawnet_connections_closed_total"),
				"peer":      f.value("rawnet_connections_closed_total", "reason", "peer"),
				"lifetimes": f.value("rawnet_connection_duration_seconds"),
				"frames_in": f.value("rawnet_received_frames_total"),
				"frames":    f.value("rawnet_sent_frames_total"),
				"bytes_in":  f.value("rawnet_received_bytes_total"),
				"bytes_out": f.value("rawnet_sent_bytes_total"),
				"queued":    f.value("rawnet_output_queued_bytes"),
				"engine":    f.value("rawnet_connections_accepted_total", "engine", name),
			}
			check(t, "scrape against the client", scraped, map[string]float64{
				"accepted": conns, "closed": conns, "peer": conns, "lifetimes": conns,
				"frames_in": conns * frames, "frames": conns * frames,
				"bytes_in": float64(sent), "bytes_out": float64(sent), "queued": 0, "engine": conns,
			})
			for _, family := range []string{"go_goroutines", "process_cpu_seconds_total", "rawnet_errors_total",
				"rawnet_connections_rejected_total", "rawnet_reads_paused_total", "rawnet_input_budget_used_bytes"} {
				if _, ok := f[family]; !ok && !(name == "gnet" && family == "rawnet_input_budget_used_bytes") {
					t.Errorf("scrape lacks %s", family)
				}
			}
			code, rest := s.stop(t)
			if code != ExitOK {
				t.Fatalf("exit code %d; stderr:\n%s", code, s.stderr)
			}
			check(t, "totals line against the scrape", totals(t, rest),
				pick(scraped, "accepted", "closed", "frames", "frames_in", "bytes_in", "bytes_out"))
			client := &http.Client{Timeout: 5 * time.Second}
			if resp, err := client.Get(mu); err == nil {
				resp.Body.Close()
				t.Errorf("GET %s after shutdown: status %d, want the metrics server closed", mu, resp.StatusCode)
			}
		})
	}
}

// TestMetricsUDP drives a known UDP workload through every engine, a
// datagram over the buffer included, and checks /metrics against it and
// against the totals printed at shutdown.
func TestMetricsUDP(t *testing.T) {
	const datagrams, buffer = 30, 1024
	for _, name := range all.Names() {
		t.Run(name, func(t *testing.T) {
			s := startRun(t, udpCmd, "--addr", "127.0.0.1:0", "--engine", name, "--loops", "1",
				"--udp-buffer", strconv.Itoa(buffer), "--metrics-addr", "127.0.0.1:0")
			mu := s.metricsURL(t)
			c, err := net.Dial("udp", s.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			sends, echoed, retries := 0, 0, 0
			buf := make([]byte, 4096)
			for i := range datagrams {
				msg := fmt.Appendf(nil, "datagram %02d %s", i, strings.Repeat("y", i*7))
				for try := 0; ; try++ {
					if try == 5 {
						t.Fatalf("datagram %d: no echo in %d tries", i, try)
					}
					c.Write(msg)
					sends++
					c.SetReadDeadline(time.Now().Add(time.Second))
					n, err := c.Read(buf)
					if err == nil && bytes.Equal(buf[:n], msg) {
						echoed += n
						break
					}
					retries++
				}
			}
			over := bytes.Repeat([]byte{'z'}, 2*buffer)
			truncatedSends := 0
			f := waitScrape(t, mu, "the datagrams not counted", func(f families) bool {
				if f.value("rawnet_dropped_datagrams_total", "reason", "truncated") >= 1 {
					return true
				}
				if truncatedSends < 5 {
					c.Write(over)
					truncatedSends++
					sends++
				}
				return false
			})
			scraped := map[string]float64{
				"datagrams": f.value("rawnet_received_datagrams_total"),
				"frames":    f.value("rawnet_sent_datagrams_total"),
				"frames_in": f.value("rawnet_received_frames_total"),
				"truncated": f.value("rawnet_dropped_datagrams_total", "reason", "truncated"),
				"bytes_in":  f.value("rawnet_received_bytes_total"),
				"bytes_out": f.value("rawnet_sent_bytes_total"),
			}
			if _, ok := f["rawnet_connections_active"]; ok {
				t.Errorf("a UDP server exports rawnet_connections_active")
			}
			want := map[string]float64{"bytes_out": float64(echoed)}
			if retries == 0 && truncatedSends == 1 {
				want["datagrams"] = float64(sends)
				want["frames"] = datagrams
				want["frames_in"] = datagrams
				want["truncated"] = 1
			} else {
				t.Logf("loopback dropped datagrams (%d retries, %d oversized sends): counts checked as bounds", retries, truncatedSends)
				if d := scraped["datagrams"]; d < datagrams+1 || d > float64(sends) {
					t.Errorf("received datagrams %v, want %d to %d", d, datagrams+1, sends)
				}
				want["bytes_out"] = scraped["bytes_out"]
			}
			check(t, "scrape against the client", scraped, want)
			if scraped["bytes_in"] < float64(echoed) {
				t.Errorf("received bytes %v, fewer than the %d echoed", scraped["bytes_in"], echoed)
			}
			code, rest := s.stop(t)
			if code != ExitOK {
				t.Fatalf("exit code %d; stderr:\n%s", code, s.stderr)
			}
			check(t, "totals line against the scrape", totals(t, rest),
				pick(scraped, "datagrams", "frames", "frames_in", "truncated", "bytes_in", "bytes_out"))
		})
	}
}

// TestPromtool runs Prometheus's own checker over a scrape of a server
// that has served a connection, when promtool is installed (Debian's
// prometheus package).
func TestPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus): the exposition is still linted by TestLint in internal/metrics")
	}
	for _, cmd := range []Command{tcpCmd, udpCmd} {
		t.Run(cmd.Network, func(t *testing.T) {
			s := startRun(t, cmd, "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0")
			c, err := net.Dial(cmd.Network, s.addr)
			if err != nil {
				t.Fatal(err)
			}
			c.Write([]byte("ping"))
			c.Close()
			_, body := get(t, s.metricsURL(t))
			check := exec.Command(promtool, "check", "metrics")
			check.Stdin = bytes.NewReader(body)
			out, err := check.CombinedOutput()
			if err != nil {
				t.Errorf("promtool check metrics: %v\n%s", err, out)
			}
			if code, _ := s.stop(t); code != ExitOK {
				t.Errorf("exit code %d", code)
			}
		})
	}
}

// TestPprofFlag checks that --pprof serves the profiler beside the
// metrics, and that without it the path is not found.
func TestPprofFlag(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		field bool
		want  int
	}{
		{name: "with --pprof", args: []string{"--pprof"}, field: true, want: http.StatusOK},
		{name: "without", want: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startRun(t, tcpCmd, append([]string{"--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}, tt.args...)...)
			if got := strings.Contains(s.line, " pprof=http://"); got != tt.field {
				t.Errorf("listening line %q: states pprof %v, want %v", s.line, got, tt.field)
			}
			base := strings.TrimSuffix(s.metricsURL(t), "/metrics")
			code, body := get(t, base+"/debug/pprof/")
			if code != tt.want {
				t.Errorf("GET /debug/pprof/: status %d, want %d", code, tt.want)
			}
			if tt.want == http.StatusOK && !strings.Contains(string(body), "goroutine") {
				t.Errorf("GET /debug/pprof/: no profile index:\n%.300s", body)
			}
			if code, _ := s.stop(t); code != ExitOK {
				t.Errorf("exit code %d", code)
			}
		})
	}
}

// TestLogFormat checks that every line logged on stderr is a JSON object
// with --log-format json, and key=value text by default.
func TestLogFormat(t *testing.T) {
	tests := []struct {
		name string
		args []string
		json bool
	}{
		{name: "json", args: []string{"--log-format", "json"}, json: true},
		{name: "text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startRun(t, tcpCmd, append([]string{"--addr", "127.0.0.1:0", "--log-level", "debug"}, tt.args...)...)
			if code, _ := s.stop(t); code != ExitOK {
				t.Fatalf("exit code %d", code)
			}
			lines := strings.Split(strings.TrimSpace(s.stderr.String()), "\n")
			if len(lines) == 0 || lines[0] == "" {
				t.Fatalf("nothing logged")
			}
			for _, l := range lines {
				var rec map[string]any
				err := json.Unmarshal([]byte(l), &rec)
				if tt.json && (err != nil || rec["level"] == nil || rec["msg"] == nil) {
					t.Errorf("log line %q is not a JSON record with level and msg: %v", l, err)
				}
				if !tt.json && (err == nil || !strings.Contains(l, "level=")) {
					t.Errorf("log line %q is not key=value text", l)
				}
			}
		})
	}
}

// TestMetricsAddrBusy checks that a metrics address already taken stops
// the command before it serves, naming the flag.
func TestMetricsAddrBusy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, stdout, stderr := runSync(t, tcpCmd, "--addr", "127.0.0.1:0", "--metrics-addr", ln.Addr().String())
	if code != ExitError || !strings.Contains(stderr, "--metrics-addr") || stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q: want exit %d naming --metrics-addr and no listening line", code, stdout, stderr, ExitError)
	}
}
