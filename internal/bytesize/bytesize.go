// Package bytesize reads and writes byte counts with binary unit suffixes,
// as "64KiB" or "4m", and gives the flag value type every rawnet command
// uses for them. It imports nothing of rawnet, so a tool that measures the
// servers (echo-bench) can share the servers' flag syntax without linking
// them.
package bytesize

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Size is a byte count flag value that accepts a unit suffix. Every suffix
// is a power of 1024, as socket buffer sizes are usually given: 512k,
// 512K, 512KB and 512KiB all mean 524288 bytes; m, g work the same way.
type Size int

var units = []struct {
	suffix string
	shift  uint
}{
	{"kib", 10}, {"mib", 20}, {"gib", 30},
	{"kb", 10}, {"mb", 20}, {"gb", 30},
	{"k", 10}, {"m", 20}, {"g", 30},
	{"b", 0},
}

// Parse parses a byte count such as "65536", "64KiB", "4MiB" or "512k".
func Parse(s string) (int, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	shift := uint(0)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, shift = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.shift
			break
		}
	}
	n, err := strconv.ParseUint(t, 10, 63)
	if err != nil {
		return 0, fmt.Errorf("size %q: want a whole number with an optional k, KiB, m, MiB, g or GiB suffix", s)
	}
	if n > math.MaxInt>>shift {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int(n << shift), nil
}

// Format renders n with the largest binary unit that divides it evenly.
func Format(n int) string {
	switch {
	case n != 0 && n%(1<<30) == 0:
		return strconv.Itoa(n>>30) + "GiB"
	case n != 0 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "MiB"
	case n != 0 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n)
}

// Set implements pflag.Value.
func (s *Size) Set(v string) error {
	n, err := Parse(v)
	if err != nil {
		return err
	}
	*s = Size(n)
	return nil
}

// String implements pflag.Value.
func (s *Size) String() string { return Format(int(*s)) }

// Type implements pflag.Value; help text shows it as the value's name.
func (s *Size) Type() string { return "size" }
