package enginetest

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/std"
	"github.com/rawnet/rawnet/internal/knownfail"
)

// TestMain fails the package if a case leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// misconfigured is an engine that edits the Config it is started with,
// standing in for an engine that ignores a setting.
type misconfigured struct {
	engine.Engine
	edit func(*engine.Config)
}

// Start starts the wrapped engine with the edited config.
func (m misconfigured) Start(cfg engine.Config) (engine.Server, error) {
	m.edit(&cfg)
	return m.Engine.Start(cfg)
}

// findCase returns the case called name.
func findCase(t *testing.T, name string) testCase {
	t.Helper()
	for _, c := range cases() {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no case %q", name)
	return testCase{}
}

func TestCasesNamedOnce(t *testing.T) {
	seen := make(map[string]bool)
	for _, name := range Cases() {
		if name == "" || seen[name] {
			t.Errorf("case name %q empty or repeated", name)
		}
		seen[name] = true
	}
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name       string
		opts       []Option
		wantLimits map[string]string
		wantErrs   int
	}{
		{name: "none", wantLimits: map[string]string{}},
		{
			name:       "known case",
			opts:       []Option{Limitation("idle", "no timers")},
			wantLimits: map[string]string{"idle": "no timers"},
		},
		{
			name:       "no reason",
			opts:       []Option{Limitation("idle", "")},
			wantLimits: map[string]string{},
			wantErrs:   1,
		},
		{
			name:       "unknown case",
			opts:       []Option{Limitation("idel", "typo")},
			wantLimits: map[string]string{},
			wantErrs:   1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limits, _, errs := parseOptions(tt.opts)
			if len(errs) != tt.wantErrs {
				t.Errorf("errors %v, want %d", errs, tt.wantErrs)
			}
			if len(limits) != len(tt.wantLimits) {
				t.Errorf("limits %v, want %v", limits, tt.wantLimits)
			}
			for k, v := range tt.wantLimits {
				if limits[k] != v {
					t.Errorf("limits[%q] = %q, want %q", k, limits[k], v)
				}
			}
		})
	}
}

func TestLimitationStillFailing(t *testing.T) {
	failing := testCase{name: "failing", run: func(t tb, e engine.Engine) { t.Errorf("the reason") }}
	failed, msgs := knownfail.Run(func(outer tb) { runLimited(outer, std.Engine{}, failing, "known") })
	if failed {
		t.Errorf("a limitation that still fails failed the suite: %q", msgs)
	}
	got := strings.Join(msgs, "\n")
	if !strings.Contains(got, "known limitation of std: failing: known") || !strings.Contains(got, "the reason") {
		t.Errorf("log %q lacks the limitation or its failure", got)
	}
}

func TestLimitationNoLongerHolds(t *testing.T) {
	c := findCase(t, "badheader/length8")
	failed, msgs := knownfail.Run(func(outer tb) { runLimited(outer, std.Engine{}, c, "fixed since") })
	if !failed || !strings.Contains(strings.Join(msgs, ""), `limitation "badheader/length8" no longer holds; remove it`) {
		t.Errorf("a limitation that passes did not fail the suite: %q", msgs)
	}
}

// TestCatchesMisconfiguredEngine checks that cases fail for an engine
// that ignores the setting they test.
func TestCatchesMisconfiguredEngine(t *testing.T) {
	defer func(p time.Duration) { patience = p }(patience)
	patience = time.Second
	tests := []struct {
		name string
		edit func(*engine.Config)
	}{
		{name: "maxconns", edit: func(c *engine.Config) { c.MaxConns = 0 }},
		{name: "idle", edit: func(c *engine.Config) { c.IdleTimeout = 0 }},
		{name: "writetimeout", edit: func(c *engine.Config) { c.WriteTimeout = 0 }},
		{name: "oversized/line", edit: func(c *engine.Config) { c.Frame.Max = 0 }},
		{name: "udp/truncated", edit: func(c *engine.Config) { c.UDPBuffer = 0 }},
		{name: "udp/length", edit: func(c *engine.Config) { c.Frame.Kind = "" }},
		{name: "udp/ratelimit", edit: func(c *engine.Config) { c.UDPRateLimit, c.UDPRateBurst = 0, 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if failed, _ := runRecorded(findCase(t, tt.name), misconfigured{Engine: std.Engine{}, edit: tt.edit}); !failed {
				t.Errorf("case passed for an engine that ignores its setting")
			}
		})
	}
}

// TestRunSelected runs two cases through Run, one declared a limitation
// it still has.
func TestRunSelected(t *testing.T) {
	e := misconfigured{Engine: std.Engine{}, edit: func(c *engine.Config) { c.MaxConns = 0 }}
	defer func(p time.Duration) { patience = p }(patience)
	patience = time.Second
	Run(t, e, only("badheader/length8", "maxconns"), Limitation("maxconns", "this engine ignores MaxConns"))
}
