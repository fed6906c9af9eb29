package engine_test

import (
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/frame"
)

func TestNormalizeInputBudget(t *testing.T) {
	tests := []struct {
		name    string
		cfg     engine.Config
		want    int
		wantErr bool
	}{
		{name: "default with small frames", cfg: engine.Config{}, want: engine.MinInputBudget},
		{name: "default with a large limit", cfg: engine.Config{Frame: frame.Spec{Kind: frame.KindLength, Max: 64 << 20}}, want: 128 << 20},
		{name: "explicit", cfg: engine.Config{InputBudget: 1 << 20}, want: 1 << 20},
		{name: "under the frame limit", cfg: engine.Config{Frame: frame.Spec{Kind: frame.KindLine, Max: 1 << 20}, InputBudget: 1 << 19}, wantErr: true},
		{name: "negative", cfg: engine.Config{InputBudget: -1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := tt.cfg.Normalize()
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Normalize accepted InputBudget %d", tt.cfg.InputBudget)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if cfg.InputBudget != tt.want {
				t.Errorf("InputBudget = %d, want %d", cfg.InputBudget, tt.want)
			}
		})
	}
}

func TestNormalizeUDPRateLimit(t *testing.T) {
	tests := []struct {
		name      string
		cfg       engine.Config
		wantBurst int
		wantErr   string
	}{
		{name: "off", cfg: engine.Config{Network: "udp"}},
		{name: "default burst is the rate rounded up", cfg: engine.Config{Network: "udp", UDPRateLimit: 2.5}, wantBurst: 3},
		{name: "default burst at least 1", cfg: engine.Config{Network: "udp", UDPRateLimit: 0.5}, wantBurst: 1},
		{name: "default burst capped", cfg: engine.Config{Network: "udp", UDPRateLimit: engine.MaxUDPRateLimit}, wantBurst: engine.MaxUDPRateBurst},
		{name: "explicit burst", cfg: engine.Config{Network: "udp4", UDPRateLimit: 100, UDPRateBurst: 7}, wantBurst: 7},
		{name: "negative rate", cfg: engine.Config{Network: "udp", UDPRateLimit: -1}, wantErr: "out of range"},
		{name: "rate under the minimum", cfg: engine.Config{Network: "udp", UDPRateLimit: engine.MinUDPRateLimit / 2}, wantErr: "out of range"},
		{name: "NaN rate", cfg: engine.Config{Network: "udp", UDPRateLimit: math.NaN()}, wantErr: "out of range"},
		{name: "infinite rate", cfg: engine.Config{Network: "udp", UDPRateLimit: math.Inf(1)}, wantErr: "out of range"},
		{name: "negative burst", cfg: engine.Config{Network: "udp", UDPRateLimit: 1, UDPRateBurst: -1}, wantErr: "burst"},
		{name: "burst over the maximum", cfg: engine.Config{Network: "udp", UDPRateLimit: 1, UDPRateBurst: engine.MaxUDPRateBurst + 1}, wantErr: "burst"},
		{name: "burst without a rate", cfg: engine.Config{Network: "udp", UDPRateBurst: 5}, wantErr: "without a UDP rate limit"},
		{name: "tcp", cfg: engine.Config{Network: "tcp", UDPRateLimit: 1}, wantErr: "UDP only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := tt.cfg.Normalize()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Normalize: error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if cfg.UDPRateBurst != tt.wantBurst {
				t.Errorf("UDPRateBurst = %d, want %d", cfg.UDPRateBurst, tt.wantBurst)
			}
		})
	}
}

func TestNormalizeWorkers(t *testing.T) {
	tests := []struct {
		name     string
		cfg      engine.Config
		wantN    int
		wantKind string
		wantErr  string
	}{
		{name: "defaults", cfg: engine.Config{}, wantN: max(engine.DefaultWorkers, 2*runtime.NumCPU()), wantKind: engine.WorkerThread},
		{name: "explicit", cfg: engine.Config{Workers: 3, WorkerKind: engine.WorkerGoroutine}, wantN: 3, wantKind: engine.WorkerGoroutine},
		{name: "negative", cfg: engine.Config{Workers: -1}, wantErr: "must not be negative"},
		{name: "unknown kind", cfg: engine.Config{WorkerKind: "fiber"}, wantErr: `unknown worker kind "fiber"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := tt.cfg.Normalize()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Normalize = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if cfg.Workers != tt.wantN || cfg.WorkerKind != tt.wantKind {
				t.Errorf("Workers, WorkerKind = %d, %q; want %d, %q", cfg.Workers, cfg.WorkerKind, tt.wantN, tt.wantKind)
			}
		})
	}
}
