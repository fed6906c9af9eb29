package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseStartAt reads --start-at: an RFC 3339 time
// (2026-05-01T12:00:00Z, 2026-05-01T14:00:00.5+02:00) or seconds since
// the Unix epoch, whole or with a fraction (1777636800, 1777636800.25),
// the form `date +%s` prints. An empty string means no start time. How far
// ahead or behind it may lie is bench's to check (bench.MaxStartWait,
// bench.StartLate).
func parseStartAt(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	// Seconds as a decimal, read digit by digit: a float64 would move
	// a fraction such as .334 by a few hundred nanoseconds.
	whole, frac, _ := strings.Cut(s, ".")
	secs, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || secs < 0 || secs > maxUnixSeconds || len(frac) > 9 || strings.Trim(frac, "0123456789") != "" {
		return time.Time{}, fmt.Errorf("--start-at %q: want an RFC 3339 time (2026-05-01T12:00:00Z) or seconds since the Unix epoch (date +%%s)", s)
	}
	nanos, _ := strconv.Atoi((frac + "000000000")[:9])
	return time.Unix(secs, int64(nanos)), nil
}

// maxUnixSeconds bounds the seconds --start-at accepts, well past any
// plausible start (the year 2500).
const maxUnixSeconds = 16_725_225_600
