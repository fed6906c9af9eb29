package matrix

import "fmt"

// Cell is one workload of the matrix: every engine runs it.
type Cell struct {
	// Network is "tcp" or "udp".
	Network string `json:"network"`
	// Conns is the number of connections or UDP sockets.
	Conns int `json:"conns"`
	// Size is the message size in bytes.
	Size int `json:"size"`
	// Depth is the number of messages in flight per connection.
	Depth int `json:"depth"`
	// Work is the handler work every server runs the cell with (its
	// --work, as Config.Works spells it); "" when the matrix has no work
	// axis and the servers get no --work at all.
	Work string `json:"work,omitempty"`
}

// String names the cell, as in "tcp c50 s64 d16" or
// "tcp c50 s64 d1 work=sleep:1ms".
func (c Cell) String() string {
	s := fmt.Sprintf("%s c%d s%d d%d", c.Network, c.Conns, c.Size, c.Depth)
	if c.Work != "" {
		s += " work=" + c.Work
	}
	return s
}

// Step is one run of the matrix: one engine on one cell, one repeat.
type Step struct {
	Cell   Cell
	Engine string
	// Repeat counts from 0.
	Repeat int
	// Count marks a counting run (Config.CountSyscalls).
	Count bool
}

// Cells lists every TCP cell of conns x sizes x depths, in that nesting
// order.
func Cells(network string, conns, sizes, depths []int) []Cell {
	var out []Cell
	for _, c := range conns {
		for _, s := range sizes {
			for _, d := range depths {
				out = append(out, Cell{Network: network, Conns: c, Size: s, Depth: d})
			}
		}
	}
	return out
}

// WithWorks repeats cells once per work, work outermost, each copy with
// its Work set; no works leaves cells as they are.
func WithWorks(works []string, cells []Cell) []Cell {
	if len(works) == 0 {
		return cells
	}
	var out []Cell
	for _, w := range works {
		for _, c := range cells {
			c.Work = w
			out = append(out, c)
		}
	}
	return out
}

// Plan orders the runs: for each cell, for each repeat, every engine once.
// The engine order rotates by one from one block to the next, so that no
// engine always runs first (on a cold cache) or last (after the others
// heated the machine), and every ratio between engines is taken from runs
// seconds apart rather than minutes, when the shared machine may have
// drifted. Engines that cannot run a cell (skip returns true) are left out
// of its blocks.
func Plan(cells []Cell, engines []string, repeats int, skip func(Cell, string) bool) []Step {
	var out []Step
	block := 0
	for _, cell := range cells {
		var es []string
		for _, e := range engines {
			if skip == nil || !skip(cell, e) {
				es = append(es, e)
			}
		}
		if len(es) == 0 {
			continue
		}
		for r := range repeats {
			for i := range es {
				out = append(out, Step{Cell: cell, Engine: es[(block+i)%len(es)], Repeat: r})
			}
			block++
		}
	}
	return out
}

// WithCountRuns adds, after the runs of each cell, one block in which every
// engine that ran the cell runs it once more as a counting run (Step.Count,
// Repeat one past the last), in the order of the cell's last block reversed.
func WithCountRuns(steps []Step) []Step {
	var out []Step
	start := 0
	for i := range steps {
		out = append(out, steps[i])
		if i+1 < len(steps) && steps[i+1].Cell == steps[i].Cell {
			continue
		}
		cell := steps[start : i+1]
		last := cell[len(cell)-1].Repeat
		var block []Step
		for _, st := range cell {
			if st.Repeat == last {
				block = append(block, st)
			}
		}
		for j := len(block) - 1; j >= 0; j-- {
			out = append(out, Step{Cell: block[j].Cell, Engine: block[j].Engine, Repeat: last + 1, Count: true})
		}
		start = i + 1
	}
	return out
}
