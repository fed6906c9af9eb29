package cref

import (
	"bufio"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rawnet/rawnet/bench"
)

func TestReferenceServerEchoes(t *testing.T) {
	if _, err := Compiler(); errors.Is(err, ErrNoCompiler) {
		t.Skip(err)
	}
	bin := filepath.Join(t.TempDir(), "echo-cref")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := Build(ctx, bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatal("no listening line")
	}
	fields := strings.Fields(lines.Text())
	if len(fields) < 5 || fields[0] != "listening" || fields[4] != "engine="+Name {
		t.Fatalf("unexpected first line %q", lines.Text())
	}
	res, err := bench.Run(ctx, bench.Config{Addr: fields[3], Conns: 4, Depth: 4,
		Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond, HoldCPU: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages == 0 {
		t.Fatal("no echoes")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "totals:") {
		t.Fatalf("no totals line after SIGTERM: %q", lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}
