package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rawnet/rawnet/bench"
)

func TestSummaryOut(t *testing.T) {
	var stdout, stderr bytes.Buffer
	tests := []struct {
		name      string
		json, csv string
		want      io.Writer
		wantErr   bool
	}{
		{name: "no result file", want: &stdout},
		{name: "result files", json: "r.json", csv: "r.csv", want: &stdout},
		{name: "JSON on stdout", json: "-", want: &stderr},
		{name: "CSV on stdout", csv: " - ", want: &stderr},
		{name: "JSON on stdout, CSV to a file", json: "-", csv: "r.csv", want: &stderr},
		{name: "both on stdout", json: "-", csv: "-", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := summaryOut(tt.json, tt.csv, &stdout, &stderr)
			if (err != nil) != tt.wantErr {
				t.Fatalf("summaryOut(%q, %q) error = %v, want error %v", tt.json, tt.csv, err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("summaryOut(%q, %q) picked the wrong writer", tt.json, tt.csv)
			}
		})
	}
}

// echoServer serves raw echo on a free loopback port until the test ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { _, _ = io.Copy(c, c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// TestRunLoadOutputs runs echo-bench against a real echo server and
// checks what lands on stdout and stderr: with --json - or --csv -,
// stdout must parse as that format in full and the summary must be on
// stderr; otherwise the summary is on stdout.
func TestRunLoadOutputs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the load generator needs Linux")
	}
	addr := echoServer(t)
	const summaryLine = "throughput"
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, stdout []byte)
		// summaryOnStderr says where the summary must be.
		summaryOnStderr bool
	}{
		{name: "summary only", check: func(t *testing.T, stdout []byte) {
			if !strings.Contains(string(stdout), summaryLine) {
				t.Errorf("stdout lacks the summary:\n%s", stdout)
			}
		}},
		{name: "JSON on stdout", args: []string{"--json", "-"}, summaryOnStderr: true, check: func(t *testing.T, stdout []byte) {
			var r bench.Result
			if err := json.Unmarshal(stdout, &r); err != nil {
				t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout)
			}
			if r.Addr != addr || r.Messages == 0 {
				t.Errorf("JSON result %+v, want messages to %s", r, addr)
			}
		}},
		{name: "CSV on stdout", args: []string{"--csv", "-"}, summaryOnStderr: true, check: func(t *testing.T, stdout []byte) {
			rows, err := csv.NewReader(bytes.NewReader(stdout)).ReadAll()
			if err != nil {
				t.Fatalf("stdout is not CSV: %v\n%s", err, stdout)
			}
			if len(rows) != 2 || !slices.Equal(rows[0], bench.CSVHeader) || rows[1][1] != addr {
				t.Fatalf("stdout has %d CSV rows %q, want the header and one record for %s", len(rows), rows, addr)
			}
		}},
		{name: "JSON to a file", args: []string{"--json", "FILE"}, check: func(t *testing.T, stdout []byte) {
			if !strings.Contains(string(stdout), summaryLine) {
				t.Errorf("stdout lacks the summary:\n%s", stdout)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"--addr", addr, "--conns", "2", "--duration", "100ms", "--warmup", "0s", "--quiet"}
			for _, a := range tt.args {
				if a == "FILE" {
					a = t.TempDir() + "/result.json"
				}
				args = append(args, a)
			}
			var stdout, stderr bytes.Buffer
			if err := runLoad(context.Background(), args, &stdout, &stderr); err != nil {
				t.Fatalf("runLoad: %v\nstderr:\n%s", err, stderr.String())
			}
			tt.check(t, stdout.Bytes())
			onStderr := strings.Contains(stderr.String(), summaryLine)
			if onStderr != tt.summaryOnStderr {
				t.Errorf("summary on stderr: %v, want %v\nstderr:\n%s", onStderr, tt.summaryOnStderr, stderr.String())
			}
		})
	}
}

func TestRunLoadRefusesTwoFormatsOnStdout(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := runLoad(context.Background(), []string{"--json", "-", "--csv", "-"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "stdout") || stdout.Len() != 0 {
		t.Fatalf("runLoad with --json - --csv -: %v, stdout %q; want an error and nothing written", err, stdout.String())
	}
}
