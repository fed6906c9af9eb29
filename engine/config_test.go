package engine_test

import (
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
