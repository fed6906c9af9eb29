package server

import (
	"context"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// redis-benchmark, Redis's own load generator (Debian's redis-tools),
// must run its SET and GET tests against the server without an error,
// one command per round trip and sixteen.
func TestRedisBenchmarkSmoke(t *testing.T) {
	bin, err := exec.LookPath("redis-benchmark")
	if err != nil {
		t.Skip("redis-benchmark not found (apt-get install redis-tools); CI installs it")
	}
	srv := start(t, Config{Loops: 1})
	port := strconv.Itoa(srv.Addr().(*net.TCPAddr).Port)
	for _, depth := range []string{"1", "16"} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		out, err := exec.CommandContext(ctx, bin, "-h", "127.0.0.1", "-p", port,
			"-t", "set,get", "-n", "2000", "-c", "10", "-P", depth, "-q").CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("redis-benchmark -P %s: %v\n%s", depth, err, out)
		}
		text := string(out)
		for _, want := range []string{"SET: ", "GET: ", "requests per second"} {
			if !strings.Contains(text, want) {
				t.Fatalf("redis-benchmark -P %s printed no %q:\n%s", depth, want, text)
			}
		}
		if strings.Contains(text, "ERR") || strings.Contains(text, "WARNING") {
			t.Fatalf("redis-benchmark -P %s complained:\n%s", depth, text)
		}
	}
	if st := srv.Stats(); st.Commands < 2*2*2000 || st.ProtocolErrors != 0 {
		t.Fatalf("stats after the runs: %+v", st)
	}
}
