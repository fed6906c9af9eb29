//go:build linux

package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/rawnet/rawnet/netpoll"
	"github.com/rawnet/rawnet/relay"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunForwardsAndDrains starts the command in front of an echo
// upstream, forwards through it, scrapes its metrics, then cancels it as
// SIGTERM would and reads its totals.
func TestRunForwardsAndDrains(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"--addr", "127.0.0.1:0", "--upstream", ln.Addr().String(), "--loops", "1", "--metrics-addr", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	line := regexp.MustCompile(`listening on tcp (\S+) .*metrics=(\S+)`)
	var m []string
	deadline := time.Now().Add(10 * time.Second)
	for m == nil {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no listening line; stderr: %s", stderr.String())
		}
		m = line.FindStringSubmatch(stdout.String())
		time.Sleep(time.Millisecond)
	}
	c, err := net.Dial("tcp", m[1])
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("echo %q, %v", buf, err)
	}
	resp, err := http.Get(m[2])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`rawnet_relay_forwarded_bytes_total{direction="up"} 5`, "rawnet_relay_pairs_active 1"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	c.Close()
	cancel()
	select {
	case got := <-code:
		if got != exitOK {
			t.Fatalf("exit %d; stderr: %s", got, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	if out := stdout.String(); !strings.Contains(out, "totals: accepted=1 active=0 closed=1 bytes_up=5 bytes_down=5") {
		t.Errorf("totals line missing or wrong:\n%s", out)
	}
}

// TestRunRejectsBadFlags: a missing upstream or a bad value names the
// flag and exits 2.
func TestRunRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{args: nil, flag: "--upstream"},
		{args: []string{"--upstream", "nohostport"}, flag: "--upstream"},
		{args: []string{"--upstream", "127.0.0.1:1", "--balance", "random"}, flag: "--balance"},
		{args: []string{"--upstream", "127.0.0.1:1", "--pprof"}, flag: "--pprof"},
		{args: []string{"--upstream", "127.0.0.1:1", "--splice=sometimes"}, flag: "--splice"},
	} {
		var stdout, stderr syncBuffer
		if got := run(context.Background(), tc.args, &stdout, &stderr); got != exitUsage {
			t.Errorf("%v: exit %d, want %d", tc.args, got, exitUsage)
		}
		if !strings.Contains(stderr.String(), tc.flag) {
			t.Errorf("%v: error does not name %s: %s", tc.args, tc.flag, stderr.String())
		}
	}
}

// TestConfigWaits checks how the command's loops wait: in epoll_wait, the
// process running nothing but them, with their short waits held out of
// sysmon's reach.
func TestConfigWaits(t *testing.T) {
	var o options
	fs := newFlagSet(&o)
	if err := fs.Parse([]string{"--upstream", "127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	c, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	if c.Wait != netpoll.WaitSyscall || !c.HoldShortWaits {
		t.Fatalf("Wait %v, HoldShortWaits %v; want syscall, true", c.Wait, c.HoldShortWaits)
	}
}

// TestConfigPipeGrow maps --pipe-grow-max to relay.Config.PipeGrowMax:
// auto is the relay's default (0), 0 never grows (negative), a size is
// the budget; anything else names the flag.
func TestConfigPipeGrow(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
		err  bool
	}{
		{args: nil, want: 0},
		{args: []string{"--pipe-grow-max", "auto"}, want: 0},
		{args: []string{"--pipe-grow-max", "0"}, want: -1},
		{args: []string{"--pipe-grow-max", "64MiB"}, want: 64 << 20},
		{args: []string{"--pipe-grow-max", "lots"}, err: true},
		{args: []string{"--pipe-grow-max", "-1"}, err: true},
	} {
		var o options
		fs := newFlagSet(&o)
		if err := fs.Parse(append([]string{"--upstream", "127.0.0.1:1"}, tc.args...)); err != nil {
			t.Fatal(err)
		}
		c, err := o.config()
		switch {
		case tc.err && (err == nil || !strings.Contains(err.Error(), "--pipe-grow-max")):
			t.Errorf("%v: error %v, want one naming --pipe-grow-max", tc.args, err)
		case !tc.err && err != nil:
			t.Errorf("%v: %v", tc.args, err)
		case !tc.err && c.PipeGrowMax != tc.want:
			t.Errorf("%v: PipeGrowMax %d, want %d", tc.args, c.PipeGrowMax, tc.want)
		}
	}
}

// TestMetricsLint runs the Prometheus linter over the relay's metrics,
// the pipe-growing families among them.
func TestMetricsLint(t *testing.T) {
	r, err := relay.Start(relay.Config{Addr: "127.0.0.1:0", Upstreams: []string{"127.0.0.1:1"}, Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Shutdown(context.Background()) }()
	c := newCollector(r)
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	for _, name := range []string{"rawnet_relay_pipes_grown", "rawnet_relay_pipe_grows_total",
		"rawnet_relay_pipe_grow_refused_total", "rawnet_relay_pipe_grow_over_budget_total"} {
		if n := testutil.CollectAndCount(c, name); n != 1 {
			t.Errorf("%s: %d series, want 1", name, n)
		}
	}
}
