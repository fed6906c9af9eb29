package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// run serves on a free port, prints the listening line, answers a
// client, and on cancellation (what SIGINT and SIGTERM do) drains,
// prints totals and returns exitOK.
func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"--addr", "127.0.0.1:0", "--loops", "1"}, outW, &stderr)
		outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	if !lines.Scan() {
		t.Fatalf("no listening line; stderr: %s", stderr.String())
	}
	fields := strings.Fields(lines.Text())
	if len(fields) != 5 || strings.Join(fields[:3], " ") != "listening on tcp" || fields[4] != "loops=1" {
		t.Fatalf("listening line %q, want \"listening on tcp ADDR loops=1\"", lines.Text())
	}
	c, err := net.Dial("tcp", fields[3])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("SET k v\r\nGET k\r\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	var got string
	for range 3 {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got += line
	}
	if got != "+OK\r\n$1\r\nv\r\n" {
		t.Fatalf("replies %q", got)
	}
	c.Close()

	cancel()
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "totals: ") || !strings.Contains(lines.Text(), " commands=2 ") {
		t.Fatalf("totals line %q", lines.Text())
	}
	if rc := <-code; rc != exitOK {
		t.Fatalf("exit code %d, stderr: %s", rc, stderr.String())
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "negative loops", args: []string{"--loops", "-1"}, want: "--loops"},
		{name: "zero bulk", args: []string{"--max-bulk", "0"}, want: "--max-bulk"},
		{name: "zero args", args: []string{"--max-args", "0"}, want: "--max-args"},
		{name: "tiny command", args: []string{"--max-command", "8"}, want: "--max-command"},
		{name: "zero output", args: []string{"--max-output", "0"}, want: "--max-output"},
		{name: "negative idle", args: []string{"--idle-timeout", "-1s"}, want: "--idle-timeout"},
		{name: "unknown flag", args: []string{"--port", "1"}, want: "unknown flag"},
		{name: "argument", args: []string{"6380"}, want: "unexpected argument"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if rc := run(context.Background(), tt.args, &stdout, &stderr); rc != exitUsage || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tt.name, rc, stderr.String(), exitUsage, tt.want)
		}
	}
}

func TestRunHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if rc := run(context.Background(), []string{"--help"}, &stdout, &stderr); rc != exitOK {
		t.Fatalf("--help exit %d", rc)
	}
	for _, flag := range []string{"--addr", "--loops", "--max-bulk", "--max-args", "--max-command", "--max-output", "127.0.0.1:6380"} {
		if !strings.Contains(stdout.String(), flag) {
			t.Errorf("--help does not mention %s", flag)
		}
	}
}
