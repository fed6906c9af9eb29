//go:build linux

package hostile

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rawnet/rawnet/engine/all"
)

// cell is the outcome of one case against one engine.
type cell struct {
	status string   // pass, fail, limit or skip, once settled
	skip   string   // why the case was skipped
	limit  limit    // the declared limitation, if any
	notes  []string // measurements the case recorded
}

// results holds every cell by case name, then engine name, under
// resultsMu; order lists the case names in the order they first ran.
var (
	resultsMu sync.Mutex
	results   = make(map[string]map[string]*cell)
	order     []string
)

// record returns a fresh cell for caseName against engineName.
func record(caseName, engineName string) *cell {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	row, ok := results[caseName]
	if !ok {
		row = make(map[string]*cell)
		results[caseName] = row
		order = append(order, caseName)
	}
	c := &cell{}
	row[engineName] = c
	return c
}

// settle fixes the cell's status from how t ended.
func (c *cell) settle(t *testing.T) {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	switch {
	case t.Skipped():
		c.status = "skip"
	case t.Failed():
		c.status = "fail"
	case c.limit.name != "":
		c.status = "limit"
	default:
		c.status = "pass"
	}
}

// String renders the cell's status for the Markdown table.
func (c *cell) String() string {
	switch c.status {
	case "pass":
		return "pass"
	case "fail":
		return "**FAIL**"
	case "limit":
		return "limit: `" + c.limit.name + "`"
	case "skip":
		return "skipped"
	default:
		return "not run"
	}
}

// writeResults writes the table of cases by engines to path as Markdown,
// followed by the table of TestRelay's cases, the declared limitations
// the run met, the measurements the cases recorded, and why cases were
// skipped.
func writeResults(path string) error {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	names := all.Names()
	var b strings.Builder
	b.WriteString("| case | " + strings.Join(names, " | ") + " |\n")
	b.WriteString("|---" + strings.Repeat("|---", len(names)) + "|\n")
	limits := make(map[string]limit)
	var limitOrder []string
	limitEngines := make(map[string][]string)
	var notes, skips, relay strings.Builder
	for _, name := range order {
		row := results[name]
		if c, ok := row[relayColumn]; ok {
			// TestRelay's cases attack relay-tcp, not an engine.
			fmt.Fprintf(&relay, "| `%s` | %s |\n", name, c)
			if len(c.notes) > 0 {
				fmt.Fprintf(&notes, "- `%s`: %s\n", name, strings.Join(c.notes, "; "))
			}
			if c.status == "skip" {
				fmt.Fprintf(&skips, "- `%s`: %s\n", name, c.skip)
			}
			continue
		}
		fmt.Fprintf(&b, "| `%s` |", name)
		var measured []string
		for _, e := range names {
			c, ok := row[e]
			if !ok {
				c = &cell{}
			}
			fmt.Fprintf(&b, " %s |", c)
			if l := c.limit; c.status == "limit" {
				if _, seen := limits[l.name]; !seen {
					limits[l.name] = l
					limitOrder = append(limitOrder, l.name)
				}
				if !slices.Contains(limitEngines[l.name], e) {
					limitEngines[l.name] = append(limitEngines[l.name], e)
				}
			}
			if len(c.notes) > 0 {
				measured = append(measured, e+": "+strings.Join(c.notes, "; "))
			}
			if c.status == "skip" {
				fmt.Fprintf(&skips, "- `%s` on %s: %s\n", name, e, c.skip)
			}
		}
		b.WriteString("\n")
		if len(measured) > 0 {
			fmt.Fprintf(&notes, "- `%s`: %s\n", name, strings.Join(measured, "; "))
		}
	}
	if relay.Len() > 0 {
		b.WriteString("\nrelay-tcp in front of echo-tcp (TestRelay):\n\n| case | " + relayColumn + " |\n|---|---|\n")
		b.WriteString(relay.String())
	}
	if len(limitOrder) > 0 {
		b.WriteString("\nKnown limitations (the case runs and must fail; the suite fails once it passes):\n\n")
		for _, n := range limitOrder {
			fmt.Fprintf(&b, "- `%s` (%s): %s\n", n, strings.Join(limitEngines[n], ", "), limits[n].why)
		}
	}
	if notes.Len() > 0 {
		b.WriteString("\nMeasurements recorded by the cases (from one run on the machine that wrote this file):\n\n")
		b.WriteString(notes.String())
	}
	if skips.Len() > 0 {
		b.WriteString("\nSkipped:\n\n")
		b.WriteString(skips.String())
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
