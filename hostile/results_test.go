package hostile

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/rawnet/rawnet/engine/all"
)

// cell is the outcome of one case against one engine.
type cell struct {
	status string   // pass, fail, limit or skip, once settled
	skip   string   // why the case was skipped
	limit  string   // the declared limitation's reason
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
	case c.limit != "":
		c.status = "limit"
	default:
		c.status = "pass"
	}
}

// String renders the cell for the Markdown table.
func (c *cell) String() string {
	var s string
	switch c.status {
	case "pass":
		s = "pass"
	case "fail":
		s = "**FAIL**"
	case "limit":
		s = "known limitation: " + c.limit
	case "skip":
		s = "skipped: " + c.skip
	default:
		s = "not run"
	}
	if len(c.notes) > 0 {
		s += " (" + strings.Join(c.notes, "; ") + ")"
	}
	return strings.ReplaceAll(s, "|", "/")
}

// writeResults writes the table of cases by engines to path as Markdown.
func writeResults(path string) error {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	names := all.Names()
	var b strings.Builder
	b.WriteString("| case | " + strings.Join(names, " | ") + " |\n")
	b.WriteString("|---" + strings.Repeat("|---", len(names)) + "|\n")
	for _, name := range order {
		row := results[name]
		fmt.Fprintf(&b, "| `%s` |", name)
		for _, e := range names {
			c, ok := row[e]
			if !ok {
				c = &cell{}
			}
			fmt.Fprintf(&b, " %s |", c)
		}
		b.WriteString("\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
