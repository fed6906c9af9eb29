package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rawnet/rawnet/engine"
)

func TestRateLimitFlagsListedForUDPOnly(t *testing.T) {
	_, udpHelp, _ := runSync(t, udpCmd, "--help")
	_, tcpHelp, _ := runSync(t, tcpCmd, "--help")
	for _, flag := range []string{"--rate-limit", "--rate-burst"} {
		if !strings.Contains(udpHelp, flag) {
			t.Errorf("echo-udp --help lacks %s", flag)
		}
		if strings.Contains(tcpHelp, flag) {
			t.Errorf("echo-tcp --help lists %s", flag)
		}
	}
	if !strings.Contains(udpHelp, "reflect") {
		t.Errorf("echo-udp --help does not say what the rate limit is for:\n%s", udpHelp)
	}
}

func TestReflectionWarningNamesTheFlag(t *testing.T) {
	tests := []struct {
		name string
		cfg  engine.Config
		want string
	}{
		{name: "off", cfg: engine.Config{}, want: "set --rate-limit"},
		{name: "on", cfg: engine.Config{UDPRateLimit: 50, UDPRateBurst: 80}, want: "50 datagrams/s (burst 80)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := reflectionWarning(tt.cfg)
			if !strings.Contains(w, "reflection") || !strings.Contains(w, "--rate-limit") || !strings.Contains(w, tt.want) {
				t.Errorf("warning %q lacks reflection, --rate-limit or %q", w, tt.want)
			}
		})
	}
}

// udpFlood sends n datagrams to addr from one socket and returns how
// many echoes came back before none arrived for 300 ms.
func udpFlood(t *testing.T, addr string, n int) int {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range n {
		if _, err := fmt.Fprintf(c, "datagram %d", i); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	got := 0
	buf := make([]byte, 64)
	for got < n {
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := c.Read(buf); err != nil {
			break
		}
		got++
	}
	return got
}

func TestRateLimitServesAndCounts(t *testing.T) {
	// One datagram per 100 s: no datagram is earned back while the test
	// runs, so the burst is all the flood gets.
	const burst, flood = 2, 10
	s := startRun(t, udpCmd, "--addr", "127.0.0.1:0", "--loops", "1",
		"--rate-limit", "0.01", "--rate-burst", fmt.Sprint(burst))
	if want := fmt.Sprintf("rate-limit=0.01/s rate-burst=%d", burst); !strings.Contains(s.line, want) {
		t.Errorf("listening line %q does not state the limit %q", s.line, want)
	}
	if got := udpFlood(t, s.addr, flood); got > burst {
		t.Errorf("%d echoes of %d datagrams, want at most the burst %d", got, flood, burst)
	}
	code, rest := s.stop(t)
	if code != ExitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, s.stderr)
	}
	counters := make(map[string]int)
	for _, f := range strings.Fields(rest) {
		if k, v, ok := strings.Cut(f, "="); ok {
			if n, err := strconv.Atoi(v); err == nil {
				counters[k] = n
			}
		}
	}
	// Loopback may drop a datagram, so the counts are bounds.
	if counters["rate_limited"] < 1 || counters["frames"] > burst || counters["rate_limited"]+counters["frames"] > flood {
		t.Errorf("totals %q: want frames <= %d and 1 <= rate_limited <= %d - frames", rest, burst, flood)
	}
}

func TestRateLimitJSONTotals(t *testing.T) {
	s := startRun(t, udpCmd, "--addr", "127.0.0.1:0", "--loops", "1", "--rate-limit", "0.01", "--rate-burst", "1", "--stats-json")
	udpFlood(t, s.addr, 5)
	code, rest := s.stop(t)
	if code != ExitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, s.stderr)
	}
	var rec struct {
		Type  string
		Stats struct {
			Errors map[string]uint64
		}
	}
	if err := json.Unmarshal([]byte(rest), &rec); err != nil {
		t.Fatalf("totals %q: %v", rest, err)
	}
	if n, ok := rec.Stats.Errors["rate_limited"]; rec.Type != "totals" || !ok || n < 1 {
		t.Errorf("totals %q: want errors.rate_limited of at least 1", rest)
	}
}
