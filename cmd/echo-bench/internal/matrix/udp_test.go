package matrix

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/cref"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/server/servertest"
)

func TestRunUDPCells(t *testing.T) {
	cfg := Config{
		BinDir: servertest.BinDir(t), Engines: []string{"std", "cref"},
		Conns: []int{1}, Sizes: []int{64}, Depths: []int{1},
		UDPConns: []int{1, 3}, UDPSize: 64, UDPDepths: []int{1, 4}, UDPRecvBuf: 1 << 20,
		Duration: 150 * time.Millisecond, Warmup: 20 * time.Millisecond, Repeats: 1,
		LogDir: t.TempDir(),
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var udp []Cell
	for _, c := range res.Meta.Cells {
		if c.Network == "udp" {
			udp = append(udp, c)
		}
	}
	want := []Cell{
		{Network: "udp", Conns: 1, Size: 64, Depth: 1}, {Network: "udp", Conns: 1, Size: 64, Depth: 4},
		{Network: "udp", Conns: 3, Size: 64, Depth: 1}, {Network: "udp", Conns: 3, Size: 64, Depth: 4},
	}
	if !slices.Equal(udp, want) {
		t.Fatalf("UDP cells %v, want %v", udp, want)
	}
	// The C reference runs every UDP cell in its own UDP mode, beside
	// the engines.
	for _, c := range want {
		for _, e := range []string{"std", cref.Name} {
			s, ok := res.Summary(c, e)
			if !ok || s.Errors != 0 || s.MsgsPerSec.N != 1 || s.MsgsPerSec.Median <= 0 {
				t.Errorf("%s on %s: summary %+v (found %v), want one measured run", e, c, s, ok)
			}
		}
	}
	for _, e := range res.Engines {
		if e.Network == "udp" && e.Name == cref.Name && !strings.HasPrefix(e.Listen, "listening on udp ") {
			t.Errorf("C reference's UDP server listened as %q", e.Listen)
		}
	}
}
