package scale

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// init makes the test binary a scale client process when Run starts it
// as one, as echo-bench is: with ClientArgs and nothing else.
func init() {
	if !slices.Equal(os.Args[1:], ClientArgs) {
		return
	}
	if err := Client(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// echoTCPBinDir builds cmd/echo-tcp into a temporary bin folder.
func echoTCPBinDir(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command builds echo-tcp: %v", err)
	}
	dir := t.TempDir()
	// By import path, so the build does not depend on where this
	// package sits in the module.
	const pkg = "github.com/rawnet/rawnet/cmd/echo-tcp"
	cmd := exec.Command(goBin, "build", "-o", dir+string(filepath.Separator), pkg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return dir
}

// accepted adds up the accepted= counts of the servers' exit lines.
func accepted(t *testing.T, exit []string) int {
	t.Helper()
	re := regexp.MustCompile(`^server \d+: totals: accepted=(\d+) `)
	sum := 0
	for _, l := range exit {
		if m := re.FindStringSubmatch(l); m != nil {
			n, err := strconv.Atoi(m[1])
			if err != nil {
				t.Fatal(err)
			}
			sum += n
		}
	}
	return sum
}

func TestRunProcs(t *testing.T) {
	bin := echoTCPBinDir(t)
	tests := []struct {
		name           string
		conns, active  int
		procs          int
		serverArgs     []string
		wantErrPattern string
	}{
		{name: "half active", conns: 600, active: -1, procs: 3},
		{name: "all idle", conns: 200, active: 0, procs: 2},
		{name: "servers refuse", conns: 300, active: -1, procs: 2, serverArgs: []string{"--max-conns", "20"},
			wantErrPattern: `^client \d \(pid \d+\): `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{
				BinDir: bin, Engine: "epoll", Args: tt.serverArgs, Conns: tt.conns, Active: tt.active, Rate: -1, Size: 64,
				Duration: time.Second, Warmup: 100 * time.Millisecond, Procs: tt.procs, LogDir: t.TempDir(),
			}
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantErrPattern != "" {
				if !regexp.MustCompile(tt.wantErrPattern).MatchString(res.Error) {
					t.Fatalf("error %q, want one naming the client process (%s)", res.Error, tt.wantErrPattern)
				}
				t.Logf("failed as it should: %s", res.Error)
				return
			}
			if res.Error != "" {
				t.Fatalf("scale failed: %s", res.Error)
			}
			t.Logf("%d connections over %d servers: %+v", res.Conns, res.Procs, res.Servers)
			if res.Procs != tt.procs || len(res.Servers) != tt.procs || len(res.Clients) != tt.procs {
				t.Fatalf("procs %d, %d servers, %d clients; want %d of each", res.Procs, len(res.Servers), len(res.Clients), tt.procs)
			}
			held, rss := 0, int64(0)
			for i, s := range res.Servers {
				if s.Conns <= 0 || s.RSS <= 0 {
					t.Errorf("server %d held %d connections in %d bytes of RSS", i+1, s.Conns, s.RSS)
				}
				held += s.Conns
				rss += s.RSS
			}
			if held != tt.conns || rss != res.RSS {
				t.Errorf("servers held %d connections in %d bytes; want %d connections and RSS %d", held, rss, tt.conns, res.RSS)
			}
			if n := accepted(t, res.Exit); n != tt.conns {
				t.Errorf("servers accepted %d connections in all, want %d; exit lines %q", n, tt.conns, res.Exit)
			}
			idle := tt.conns - res.Active
			if res.Idle == nil || res.Idle.Messages != uint64(idle) || res.Idle.Conns != idle {
				t.Errorf("idle result %+v, want one echo on each of %d connections", res.Idle, idle)
			}
			if res.Active > 0 && (res.Traffic == nil || res.Traffic.Messages == 0 || res.Traffic.Conns != res.Active) {
				t.Errorf("traffic result %+v, want messages over %d connections", res.Traffic, res.Active)
			}
			if res.Active > 0 && (res.Traffic.Runs != tt.procs || uint64(res.Traffic.Histogram.TotalCount()) != res.Traffic.Messages) {
				t.Errorf("traffic merged from %d runs with %d round trips for %d messages; want %d runs, one round trip per message",
					res.Traffic.Runs, res.Traffic.Histogram.TotalCount(), res.Traffic.Messages, tt.procs)
			}
		})
	}
}

func TestClientNeedsShare(t *testing.T) {
	var out strings.Builder
	err := Client(context.Background(), strings.NewReader("not json\n"), &out)
	if err == nil || out.Len() != 0 {
		t.Fatalf("Client with a bad share: %v, wrote %q", err, out.String())
	}
}
