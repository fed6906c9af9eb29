package matrix

import (
	"math"
	"testing"
)

func TestPlanRotatesEngines(t *testing.T) {
	cells := Cells("tcp", []int{1, 50}, []int{64}, []int{1, 16})
	engines := []string{"std", "epoll", "gnet", "cref"}
	steps := Plan(cells, engines, 3, nil)
	if want := len(cells) * len(engines) * 3; len(steps) != want {
		t.Fatalf("%d steps, want %d", len(steps), want)
	}
	firsts := map[string]int{}
	for b := 0; b < len(steps); b += len(engines) {
		block := steps[b : b+len(engines)]
		seen := map[string]bool{}
		for _, s := range block {
			if s.Cell != block[0].Cell || s.Repeat != block[0].Repeat {
				t.Fatalf("block %d mixes cells or repeats: %+v", b/len(engines), block)
			}
			if seen[s.Engine] {
				t.Fatalf("block %d runs %s twice", b/len(engines), s.Engine)
			}
			seen[s.Engine] = true
		}
		firsts[block[0].Engine]++
		if b > 0 && steps[b-len(engines)].Engine == block[0].Engine {
			t.Fatalf("block %d starts with the same engine as the one before", b/len(engines))
		}
	}
	// 12 blocks over 4 engines: each engine leads 3 of them.
	for _, e := range engines {
		if firsts[e] != 3 {
			t.Fatalf("engine %s leads %d blocks, want 3 (%v)", e, firsts[e], firsts)
		}
	}
}

func TestPlanSkips(t *testing.T) {
	cells := append(Cells("tcp", []int{1}, []int{64}, []int{1}), Cell{Network: "udp", Conns: 50, Size: 64, Depth: 1})
	steps := Plan(cells, []string{"std", "cref"}, 2, func(c Cell, e string) bool { return c.Network == "udp" && e == "cref" })
	udp := 0
	for _, s := range steps {
		if s.Cell.Network == "udp" {
			udp++
			if s.Engine == "cref" {
				t.Fatal("skipped engine planned")
			}
		}
	}
	if len(steps) != 6 || udp != 2 {
		t.Fatalf("%d steps, %d udp; want 6 and 2", len(steps), udp)
	}
}

func TestNewStat(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want Stat
	}{
		{name: "odd", in: []float64{3, 1, 2}, want: Stat{Median: 2, Min: 1, Max: 3, Spread: 100, N: 3}},
		{name: "even", in: []float64{4, 1, 2, 3}, want: Stat{Median: 2.5, Min: 1, Max: 4, Spread: 120, N: 4}},
		{name: "nan ignored", in: []float64{math.NaN(), 5}, want: Stat{Median: 5, Min: 5, Max: 5, N: 1}},
		{name: "empty", in: nil, want: Stat{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewStat(tt.in); got != tt.want {
				t.Fatalf("NewStat(%v) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestWithCountRuns(t *testing.T) {
	a, b := Cell{Network: "tcp", Conns: 1, Size: 64, Depth: 1}, Cell{Network: "tcp", Conns: 50, Size: 64, Depth: 1}
	steps := Plan([]Cell{a, b}, []string{"x", "y", "z"}, 2, nil)
	got := WithCountRuns(steps)
	if len(got) != len(steps)+6 {
		t.Fatalf("%d steps, want %d", len(got), len(steps)+6)
	}
	// Cell a ran 2 blocks of 3, then its 3 counting runs; then cell b.
	for i, st := range got {
		wantCount := (i >= 6 && i < 9) || i >= 15
		if st.Count != wantCount {
			t.Errorf("step %d: Count %v, want %v", i, st.Count, wantCount)
		}
		if st.Count && st.Repeat != 2 {
			t.Errorf("step %d: counting run has repeat %d, want 2", i, st.Repeat)
		}
	}
	// Each cell's counting block has every engine once, in the order of
	// its last block reversed.
	for _, at := range []int{6, 15} {
		last := got[at-3 : at]
		for j := range 3 {
			if c := got[at+j]; c.Engine != last[2-j].Engine || c.Cell != last[2-j].Cell {
				t.Errorf("counting step %d = %+v, want %s on %s", at+j, c, last[2-j].Engine, last[2-j].Cell)
			}
		}
	}
}

func TestWithWorks(t *testing.T) {
	cells := Cells("tcp", []int{1, 50}, []int{64}, []int{1})
	if got := WithWorks(nil, cells); len(got) != 2 || got[0].Work != "" {
		t.Fatalf("no works changed the cells: %v", got)
	}
	got := WithWorks([]string{"none", "cpu:20us,sleep:5ms@1%"}, cells)
	want := []string{"none", "none", "cpu:20us,sleep:5ms@1%", "cpu:20us,sleep:5ms@1%"}
	if len(got) != len(want) {
		t.Fatalf("%d cells, want %d", len(got), len(want))
	}
	for i, c := range got {
		if c.Work != want[i] || c.Conns != cells[i%2].Conns {
			t.Errorf("cell %d = %v, want c%d with work %s", i, c, cells[i%2].Conns, want[i])
		}
	}
	if s := got[2].String(); s != "tcp c1 s64 d1 work=cpu:20us,sleep:5ms@1%" {
		t.Errorf("String = %q", s)
	}
	if s := cells[0].String(); s != "tcp c1 s64 d1" {
		t.Errorf("String without work = %q", s)
	}
}

func TestValidateWorks(t *testing.T) {
	tests := []struct {
		name  string
		works []string
		ok    bool
	}{
		{name: "none", works: nil, ok: true},
		{name: "list", works: []string{"none", "cpu:20us,sleep:5ms@1%"}, ok: true},
		{name: "empty", works: []string{""}},
		{name: "twice", works: []string{"sleep:1ms", "sleep:1ms"}},
		{name: "unsplit list", works: []string{"none;sleep:1ms"}},
		{name: "untrimmed", works: []string{" none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Default()
			cfg.Works = tt.works
			if err := cfg.validate(); (err == nil) != tt.ok {
				t.Fatalf("validate(%q) = %v, want ok %v", tt.works, err, tt.ok)
			}
		})
	}
}
