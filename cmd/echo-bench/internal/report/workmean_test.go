package report

import (
	"testing"
	"time"
)

func TestWorkPerMsg(t *testing.T) {
	tests := []struct {
		spec       string
		cpu, sleep time.Duration
		wantErr    bool
	}{
		{spec: "", cpu: 0, sleep: 0},
		{spec: "none"},
		{spec: "cpu:20us", cpu: 20 * time.Microsecond},
		{spec: "cpu:20µs", cpu: 20 * time.Microsecond},
		{spec: "sleep:5ms@1%", sleep: 50 * time.Microsecond},
		{spec: "cpu:20us,sleep:5ms@1%,cpu:100us@10%", cpu: 30 * time.Microsecond, sleep: 50 * time.Microsecond},
		{spec: "disk:1ms", wantErr: true},
		{spec: "cpu:fast", wantErr: true},
	}
	for _, tt := range tests {
		cpu, sleep, err := workPerMsg(tt.spec)
		if (err != nil) != tt.wantErr || cpu != tt.cpu || sleep != tt.sleep {
			t.Errorf("workPerMsg(%q) = %v, %v, %v; want %v, %v, error %v", tt.spec, cpu, sleep, err, tt.cpu, tt.sleep, tt.wantErr)
		}
	}
}
