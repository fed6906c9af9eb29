// Package cpuset reads and writes CPU lists ("0", "2-3", "0,2-3") as
// taskset(1) and the --cpus, --server-cpus and --cpu-affinity flags take
// them, and pins the calling OS thread to one CPU. The servers and the load
// generator share it, and it imports nothing of either.
package cpuset

import (
	"fmt"
	"strconv"
	"strings"
)

// Parse reads a CPU list such as "0", "2-3" or "0,2-3", in order, with
// ranges expanded.
func Parse(s string) ([]int, error) {
	var out []int
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("cpuset: empty CPU list")
	}
	for _, part := range strings.Split(strings.TrimSpace(s), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil || a < 0 {
			return nil, fmt.Errorf("cpuset: bad CPU list %q (want CPU numbers and ranges such as 0,2-3)", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || b < a {
				return nil, fmt.Errorf("cpuset: bad CPU list %q (want CPU numbers and ranges such as 0,2-3)", s)
			}
		}
		for c := a; c <= b; c++ {
			out = append(out, c)
		}
	}
	return out, nil
}

// Format writes cpus the way Parse reads them.
func Format(cpus []int) string {
	parts := make([]string, len(cpus))
	for i, c := range cpus {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, ",")
}
