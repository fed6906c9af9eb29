package matrix

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/cref"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/server/servertest"
)

// uringConfig is a small matrix of std and the C io_uring reference, on
// TCP and UDP.
func uringConfig(bin string) Config {
	return Config{
		BinDir: bin, Engines: []string{"std", cref.URingName},
		Conns: []int{2}, Sizes: []int{64}, Depths: []int{4},
		UDPConns: []int{2}, UDPSize: 64, UDPDepths: []int{4}, UDPRecvBuf: 1 << 20,
		Duration: 150 * time.Millisecond, Warmup: 20 * time.Millisecond, Repeats: 1,
	}
}

func TestRunURingReference(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cref.HasLiburing(ctx); err != nil {
		t.Skip(err)
	}
	cfg := uringConfig(servertest.BinDir(t))
	cfg.LogDir = t.TempDir()
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Named alone, curing runs without cref, as a ceiling.
	if !slices.Equal(res.Meta.EngineList, []string{"std", cref.URingName}) || res.Meta.Reference != "" ||
		!slices.Equal(res.Meta.References, []string{cref.URingName}) {
		t.Fatalf("engines %v, reference %q, references %v; want std and curing, curing a reference",
			res.Meta.EngineList, res.Meta.Reference, res.Meta.References)
	}
	for _, c := range res.Meta.Cells {
		s, ok := res.Summary(c, cref.URingName)
		if !ok || s.Errors != 0 || s.MsgsPerSec.N != 1 || s.MsgsPerSec.Median <= 0 {
			t.Errorf("curing on %s: summary %+v (found %v), want one measured run", c, s, ok)
		}
	}
	for _, e := range res.Engines {
		if e.Name == cref.URingName && (e.Error != "" || !strings.HasPrefix(e.Listen, "listening on "+e.Network+" ") || len(e.Exit) == 0) {
			t.Errorf("curing's %s server: %+v", e.Network, e)
		}
	}
}

func TestRunWithoutLiburingSkipsURingReference(t *testing.T) {
	bin := servertest.BinDir(t)
	cc, err := cref.Compiler()
	if err != nil {
		t.Skip(err)
	}
	// A compiler that searches no system include directory finds no
	// liburing.h, as on a machine without liburing-dev.
	wrapper := filepath.Join(t.TempDir(), "cc-nostdinc")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexec '"+cc+"' -nostdinc \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CC", wrapper)
	res, err := Run(context.Background(), uringConfig(bin))
	if err != nil {
		t.Fatalf("a missing liburing failed the matrix: %v", err)
	}
	if !slices.Equal(res.Meta.EngineList, []string{"std"}) || len(res.Meta.References) != 0 {
		t.Fatalf("engines %v, references %v; want std alone", res.Meta.EngineList, res.Meta.References)
	}
	noted := slices.ContainsFunc(res.Notes, func(n string) bool {
		return strings.Contains(n, "C io_uring reference (curing) skipped") && strings.Contains(n, cref.ErrNoLiburing.Error())
	})
	if !noted {
		t.Fatalf("notes %q, want one saying curing was skipped for want of liburing", res.Notes)
	}
	if _, err := os.Stat(filepath.Join(bin, "echo-"+cref.URingName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("echo-curing exists after a failed build (%v)", err)
	}
}
