package work

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // String of the result
		err  string // part of the error; empty for none
	}{
		{name: "empty", in: "", want: "none"},
		{name: "none", in: "none", want: "none"},
		{name: "cpu", in: "cpu:20us", want: "cpu:20us"},
		{name: "micro sign", in: "cpu:20µs", want: "cpu:20us"},
		{name: "sleep share", in: "sleep:5ms@1%", want: "sleep:5ms@1%"},
		{name: "sum", in: "cpu:20us,sleep:5ms@1%", want: "cpu:20us,sleep:5ms@1%"},
		{name: "spaces", in: " cpu:1ms , sleep:2ms@0.5% ", want: "cpu:1ms,sleep:2ms@0.5%"},
		{name: "same kind twice", in: "cpu:10us,cpu:1ms@10%", want: "cpu:10us,cpu:1ms@10%"},
		{name: "full share", in: "sleep:1ms@100%", want: "sleep:1ms"},
		{name: "no colon", in: "cpu", err: `term "cpu": want KIND:DURATION`},
		{name: "unknown kind", in: "io:5ms", err: `unknown kind "io" (want cpu or sleep)`},
		{name: "no unit", in: "cpu:20", err: `term "cpu:20": time: missing unit`},
		{name: "no duration", in: "sleep:", err: `term "sleep:"`},
		{name: "zero", in: "cpu:0s", err: "must be over 0"},
		{name: "negative", in: "sleep:-1ms", err: "must be over 0"},
		{name: "too long", in: "sleep:2m", err: "at most 1m0s"},
		{name: "share without percent", in: "sleep:5ms@1", err: `the share "1" must end with %`},
		{name: "share zero", in: "sleep:5ms@0%", err: "over 0% and at most 100%"},
		{name: "share over", in: "sleep:5ms@101%", err: "over 0% and at most 100%"},
		{name: "share nan", in: "sleep:5ms@NaN%", err: "over 0% and at most 100%"},
		{name: "share garbage", in: "sleep:5ms@x%", err: "over 0% and at most 100%"},
		{name: "empty term", in: "cpu:1ms,", err: `term ""`},
		{name: "none among terms", in: "none,cpu:1ms", err: `term "none"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse(%q) = %v, %v; want an error containing %q", tt.in, s, err, tt.err)
				}
				return
			}
			if runtime.GOOS != "linux" && strings.Contains(tt.in, "cpu") {
				if err == nil {
					t.Fatalf("Parse(%q) accepted CPU work on %s", tt.in, runtime.GOOS)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := s.String(); got != tt.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
			}
			back, err := Parse(s.String())
			if err != nil || back.String() != s.String() {
				t.Errorf("Parse(String()) = %v, %v; want %v back", back, err, s)
			}
		})
	}
}

func TestMean(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("CPU work needs Linux")
	}
	s, err := Parse("cpu:20us,sleep:5ms@1%,cpu:1ms@10%")
	if err != nil {
		t.Fatal(err)
	}
	cpu, sleep := s.Mean()
	if cpu != 120*time.Microsecond || sleep != 50*time.Microsecond {
		t.Errorf("Mean() = %v, %v; want 120µs, 50µs", cpu, sleep)
	}
}
