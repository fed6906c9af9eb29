package matrix

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
)

func TestServerCommand(t *testing.T) {
	cfg := Default()
	cfg.BinDir = "b"
	cfg.Variants = []Variant{{Name: "small", Engine: "epoll", BinDir: "other", Env: []string{"GOGC=50"}, Args: []string{"--rcvbuf", "64KiB"}}}
	tests := []struct {
		name, network, engine string
		work                  string
		wantBin               string
		wantArgs, wantEnv     []string
	}{
		{name: "tcp engine sizes the thread pool", network: "tcp", engine: "std", wantBin: filepath.Join("b", "echo-tcp"),
			wantArgs: []string{"--addr", "127.0.0.1:0", "--engine", "std", "--loops", "1", "--threads", fmt.Sprint(cfg.IdleConns + threadSlack)}},
		{name: "udp engine gets the shared receive buffer", network: "udp", engine: "gnet", wantBin: filepath.Join("b", "echo-udp"),
			wantArgs: []string{"--addr", "127.0.0.1:0", "--engine", "gnet", "--loops", "1", "--rcvbuf", "2097152"}},
		{name: "variant flags come last and win", network: "udp", engine: "small", wantBin: filepath.Join("other", "echo-udp"),
			wantArgs: []string{"--addr", "127.0.0.1:0", "--engine", "epoll", "--loops", "1", "--rcvbuf", "2097152", "--rcvbuf", "64KiB"},
			wantEnv:  []string{"GOGC=50"}},
		{name: "C reference", network: "tcp", engine: "cref", wantBin: filepath.Join("b", "echo-cref"),
			wantArgs: []string{"--addr", "127.0.0.1:0"}},
		{name: "C reference in its UDP mode gets the shared receive buffer", network: "udp", engine: "cref", wantBin: filepath.Join("b", "echo-cref"),
			wantArgs: []string{"--addr", "127.0.0.1:0", "--udp", "--rcvbuf", "2097152"}},
		{name: "C io_uring reference in its UDP mode", network: "udp", engine: "curing", wantBin: filepath.Join("b", "echo-curing"),
			wantArgs: []string{"--addr", "127.0.0.1:0", "--udp", "--rcvbuf", "2097152"}},
		{name: "work goes to the server, before a variant's flags", network: "tcp", engine: "small", work: "cpu:20us,sleep:5ms@1%", wantBin: filepath.Join("other", "echo-tcp"),
			wantArgs: []string{"--addr", "127.0.0.1:0", "--engine", "epoll", "--loops", "1", "--work", "cpu:20us,sleep:5ms@1%", "--rcvbuf", "64KiB"},
			wantEnv:  []string{"GOGC=50"}},
		{name: "no work axis passes no --work", network: "tcp", engine: "epoll", wantBin: filepath.Join("b", "echo-tcp"),
			wantArgs: []string{"--addr", "127.0.0.1:0", "--engine", "epoll", "--loops", "1", "--threads", fmt.Sprint(cfg.IdleConns + threadSlack)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin, args, env := cfg.serverCommand(tt.network, tt.engine, 1, tt.work)
			if bin != tt.wantBin || !slices.Equal(args, tt.wantArgs) || !slices.Equal(env, tt.wantEnv) {
				t.Fatalf("serverCommand = %s %q %q, want %s %q %q", bin, args, env, tt.wantBin, tt.wantArgs, tt.wantEnv)
			}
		})
	}
	cfg.UDPRecvBuf = 0
	if _, args, _ := cfg.serverCommand("udp", "epoll", 2, ""); slices.Contains(args, "--rcvbuf") {
		t.Fatalf("UDPRecvBuf 0 still asks for a buffer: %q", args)
	}
}
