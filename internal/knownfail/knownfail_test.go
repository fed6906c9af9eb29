package knownfail

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		f          func(TB)
		wantFailed bool
		wantMsgs   []string
	}{
		{name: "passes", f: func(t TB) { t.Logf("fine") }, wantMsgs: []string{"fine"}},
		{name: "errorf goes on", f: func(t TB) { t.Errorf("one"); t.Logf("two") }, wantFailed: true, wantMsgs: []string{"one", "two"}},
		{name: "fatalf stops", f: func(t TB) { t.Fatalf("stop"); t.Logf("unreached") }, wantFailed: true, wantMsgs: []string{"stop"}},
		{name: "panic fails", f: func(t TB) { panic("boom") }, wantFailed: true, wantMsgs: []string{"panic: boom"}},
		{
			name: "cleanups run last first, even after fatalf",
			f: func(t TB) {
				t.Cleanup(func() { t.Logf("first registered") })
				t.Cleanup(func() {
					t.Cleanup(func() { t.Logf("registered while cleaning up") })
					t.Fatalf("cleanup fails")
				})
				t.Fatalf("body fails")
			},
			wantFailed: true,
			wantMsgs:   []string{"body fails", "cleanup fails", "registered while cleaning up", "first registered"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failed, msgs := Run(tt.f)
			if failed != tt.wantFailed {
				t.Errorf("failed = %v, want %v", failed, tt.wantFailed)
			}
			if len(msgs) != len(tt.wantMsgs) {
				t.Fatalf("messages %q, want %q", msgs, tt.wantMsgs)
			}
			for i, want := range tt.wantMsgs {
				if !strings.HasPrefix(msgs[i], want) {
					t.Errorf("message %d = %q, want prefix %q", i, msgs[i], want)
				}
			}
		})
	}
}
