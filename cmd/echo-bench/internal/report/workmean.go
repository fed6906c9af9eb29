package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/matrix"
)

// workPerMsg returns the mean handler work a frame gets under spec: the
// CPU time it burns and the time it sleeps, each term's duration times
// its share. spec is a --work value (engine/work's package documentation
// gives the syntax: KIND:DUR[@P%] terms joined by commas); the matrix had
// the server check every spec before it ran (matrix.Run), so this only
// reads the figures for the charts' axis and the report's sums.
func workPerMsg(spec string) (cpu, sleep time.Duration, err error) {
	if !matrix.HasWork(spec) {
		return 0, 0, nil
	}
	for _, term := range strings.Split(spec, ",") {
		kind, rest, _ := strings.Cut(strings.TrimSpace(term), ":")
		dur, share, hasShare := strings.Cut(rest, "@")
		d, err := time.ParseDuration(dur)
		if err != nil {
			return 0, 0, fmt.Errorf("report: work %q: %w", spec, err)
		}
		pct := 100.0
		if hasShare {
			if pct, err = strconv.ParseFloat(strings.TrimSuffix(share, "%"), 64); err != nil {
				return 0, 0, fmt.Errorf("report: work %q: %w", spec, err)
			}
		}
		mean := time.Duration(float64(d) * pct / 100)
		switch kind {
		case "cpu":
			cpu += mean
		case "sleep":
			sleep += mean
		default:
			return 0, 0, fmt.Errorf("report: work %q: unknown kind %q", spec, kind)
		}
	}
	return cpu, sleep, nil
}
