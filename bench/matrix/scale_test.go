package matrix

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

func TestScale(t *testing.T) {
	bin := fakeBinDir(t)
	cfg := ScaleConfig{
		BinDir: bin, Engine: "std", Conns: 300, Active: -1, Rate: -1, Size: 64,
		Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond, LogDir: t.TempDir(),
	}
	res, err := Scale(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Error != "" {
		t.Fatalf("scale failed: %s", res.Error)
	}
	if res.Active != 150 || res.Rate != 150 {
		t.Errorf("active %d at rate %v, want half the connections at one message per second each", res.Active, res.Rate)
	}
	if res.Idle == nil || res.Idle.Messages != 150 {
		t.Errorf("idle result %+v, want one echo on each of 150 connections", res.Idle)
	}
	if res.Traffic == nil || res.Traffic.Messages == 0 {
		t.Errorf("traffic result %+v, want messages", res.Traffic)
	}
	if res.RSS <= 0 || res.HWM < res.RSS || res.NoFile < 300 {
		t.Errorf("RSS %d, HWM %d, nofile %d", res.RSS, res.HWM, res.NoFile)
	}
}

func TestScaleRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  ScaleConfig
	}{
		{name: "no conns", cfg: ScaleConfig{Size: 64, Duration: time.Second}},
		{name: "more active than conns", cfg: ScaleConfig{Conns: 10, Active: 11, Size: 64, Duration: time.Second}},
		{name: "no size", cfg: ScaleConfig{Conns: 10, Duration: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Scale(context.Background(), tt.cfg); err == nil {
				t.Error("Scale accepted a config it cannot run")
			}
		})
	}
}

func TestLoopbackSources(t *testing.T) {
	tests := []struct {
		name  string
		block byte
		conns int
		want  []string
	}{
		{name: "one", block: 1, conns: 10, want: []string{"127.0.1.1"}},
		{name: "exact", block: 2, conns: 40_000, want: []string{"127.0.2.1", "127.0.2.2"}},
		{name: "over", block: 2, conns: 40_001, want: []string{"127.0.2.1", "127.0.2.2", "127.0.2.3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loopbackSources(tt.block, tt.conns)
			if len(got) != len(tt.want) {
				t.Fatalf("loopbackSources(%d, %d) = %v, want %v", tt.block, tt.conns, got, tt.want)
			}
			for i, w := range tt.want {
				if got[i] != netip.MustParseAddr(w) {
					t.Errorf("address %d = %v, want %s", i, got[i], w)
				}
			}
		})
	}
}
