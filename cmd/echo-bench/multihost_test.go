package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rawnet/rawnet/bench"
)

// TestMultiHost runs scripts/multihost.sh: echo-tcp in a network
// namespace of its own, three load generators each in a namespace of its
// own on 198.18.0.0/15, started together with --start-at, their logs
// merged. It checks what the script reports: the merged result counts
// every generator's messages and starts when they all did.
func TestMultiHost(t *testing.T) {
	switch {
	case runtime.GOOS != "linux":
		t.Skip("network namespaces are Linux's")
	case os.Geteuid() != 0:
		t.Skip("creating network namespaces (ip netns) needs root")
	}
	for _, tool := range []string{"ip", "go", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s: %v", tool, err)
		}
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "multihost.sh"))
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator),
		"github.com/rawnet/rawnet/cmd/echo-tcp", "github.com/rawnet/rawnet/cmd/echo-bench")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	const clients = 3
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script, out)
	cmd.Env = append(os.Environ(), "BIN="+bin, fmt.Sprintf("CLIENTS=%d", clients), "CONNS=4",
		"DURATION=1s", "WARMUP=200ms", "LEAD=2")
	// On timeout the script gets SIGTERM, so that its trap removes the
	// namespaces, rather than SIGKILL.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	output, err := cmd.CombinedOutput()
	t.Logf("scripts/multihost.sh:\n%s", output)
	if err != nil {
		t.Fatalf("scripts/multihost.sh: %v", err)
	}
	if left := leftNamespaces(t, cmd.Process.Pid); len(left) > 0 {
		t.Errorf("the script left namespaces behind: %q", left)
	}
	var sum uint64
	var start time.Time
	for i := 1; i <= clients; i++ {
		var r bench.Result
		readJSON(t, filepath.Join(out, fmt.Sprintf("gen%d.json", i)), &r)
		if r.Error != "" || r.Messages == 0 {
			t.Errorf("generator %d: %d messages, error %q", i, r.Messages, r.Error)
		}
		if i == 1 {
			start = r.Start
		} else if !r.Start.Equal(start) {
			t.Errorf("generator %d began measuring at %v, generator 1 at %v: --start-at did not line them up", i, r.Start, start)
		}
		sum += r.Messages
	}
	var merged bench.Result
	readJSON(t, filepath.Join(out, "merged.json"), &merged)
	if merged.Messages != sum || merged.Runs != clients || !merged.Start.Equal(start) || merged.Error != "" {
		t.Errorf("merged %d messages over %d runs from %v (error %q); want %d over %d from %v",
			merged.Messages, merged.Runs, merged.Start, merged.Error, sum, clients, start)
	}
}

// leftNamespaces lists the namespaces of the script run with process id
// pid that still exist, and removes them.
func leftNamespaces(t *testing.T, pid int) []string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for line := range strings.Lines(string(out)) {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		if strings.HasPrefix(name, fmt.Sprintf("rawnet-mh-%d-", pid)) {
			left = append(left, name)
			_ = exec.Command("ip", "netns", "del", name).Run()
		}
	}
	return left
}
