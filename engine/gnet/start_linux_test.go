package gnetengine_test

import (
	"context"
	"net"
	"testing"

	"github.com/rawnet/rawnet/engine"
	gnetengine "github.com/rawnet/rawnet/engine/gnet"
	"github.com/rawnet/rawnet/sockopt"
)

func TestStartRefuses(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	tests := []struct {
		name string
		cfg  engine.Config
	}{
		{name: "reuseport without its balance", cfg: engine.Config{Sockopts: sockopt.Options{ReusePort: true}}},
		{name: "address in use", cfg: engine.Config{Addr: busy.Addr().String()}},
		{name: "bad network", cfg: engine.Config{Network: "sctp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := gnetengine.Engine{}.Start(tt.cfg)
			if err == nil {
				srv.Shutdown(context.Background())
				t.Fatalf("Start(%+v) succeeded, want an error", tt.cfg)
			}
		})
	}
}
