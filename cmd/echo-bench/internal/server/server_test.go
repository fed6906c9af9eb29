package server

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// script writes a shell script with body into a temporary folder and
// returns its path.
func script(t *testing.T, body string) string {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh to run fake servers")
	}
	path := filepath.Join(t.TempDir(), "fake-server")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestStartRefuses(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr string
	}{
		{name: "exits before listening", body: "exit 3\n", wantErr: "exited before listening (exit status 3)"},
		// exec, so that killing the fake server kills the sleep too: a
		// child left holding the output pipe would keep Start waiting.
		{name: "prints something else", body: "echo hello\nexec sleep 60\n", wantErr: `printed "hello"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Start(Command{Engine: "fake", Bin: script(t, tt.body), LogPath: os.DevNull})
			if err == nil {
				p.Kill()
				t.Fatalf("Start succeeded, want an error saying %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Start error %q, want one saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestStartAndStop(t *testing.T) {
	// The fake server listens, gets GOMAXPROCS and the extra environment,
	// and prints its totals when SIGTERM arrives. The trap comes before
	// the listening line: Start returns on that line, and a SIGTERM
	// before the trap would kill the shell.
	bin := script(t, `trap 'echo "totals: procs=$GOMAXPROCS extra=$EXTRA"; exit 0' TERM
echo "listening on tcp 127.0.0.1:4242 engine=fake"
while :; do sleep 0.05; done
`)
	logPath := filepath.Join(t.TempDir(), "server.log")
	p, err := Start(Command{Engine: "fake", Bin: bin, Env: []string{"EXTRA=yes"}, LogPath: logPath})
	if err != nil {
		t.Fatal(err)
	}
	if p.Addr() != "127.0.0.1:4242" || !strings.HasPrefix(p.Listen(), "listening on tcp") || p.Engine() != "fake" || p.PID() <= 0 {
		t.Fatalf("addr %q, listen %q, engine %q, pid %d", p.Addr(), p.Listen(), p.Engine(), p.PID())
	}
	if !p.Alive() || p.Err() != nil {
		t.Fatalf("alive %v, err %v: want a running server", p.Alive(), p.Err())
	}
	totals, err := p.Stop(context.Background(), StopTimeout)
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if len(totals) != 1 || totals[0] != "totals: procs=1 extra=yes" {
		t.Fatalf("totals %q, want the line printed at SIGTERM with GOMAXPROCS=1 and the extra environment", totals)
	}
	if p.Alive() {
		t.Fatal("server still alive after Stop")
	}
}

func TestStopKillsAStubbornServer(t *testing.T) {
	bin := script(t, `trap '' TERM
echo "listening on tcp 127.0.0.1:4243"
while :; do sleep 0.05; done
`)
	p, err := Start(Command{Engine: "stubborn", Bin: bin, LogPath: os.DevNull})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Stop(context.Background(), 100*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not exit within") {
		t.Fatalf("Stop error %v, want one saying the server did not exit", err)
	}
	if p.Alive() {
		t.Fatal("server still alive after Stop killed it")
	}
}
