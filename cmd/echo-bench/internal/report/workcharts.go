package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/matrix"
)

// workCharts plans the charts of the work axis, for each TCP connection
// count, size and depth: msgs/s against the work per message, where the
// models cross over, and p99 against it. None without two works.
func workCharts(res *matrix.Results) []chart {
	if len(res.Meta.Works) < 2 {
		return nil
	}
	var out []chart
	var seen []matrix.Cell
	for _, c := range res.Meta.Cells {
		c.Work = ""
		if c.Network != "tcp" || slices.Contains(seen, c) {
			continue
		}
		seen = append(seen, c)
		suffix := fmt.Sprintf("c%d_%dB_d%d", c.Conns, c.Size, c.Depth)
		out = append(out,
			chart{"work_msgs_" + suffix, func() (*plot.Plot, error) {
				return byWork(res, c, "messages per second (log)", func(s matrix.Summary) float64 { return s.MsgsPerSec.Median })
			}},
			chart{"work_p99_" + suffix, func() (*plot.Plot, error) {
				return byWork(res, c, "p99 latency, µs (log)", func(s matrix.Summary) float64 { return s.P99.Median })
			}})
	}
	return out
}

// workAxis places each work of the axis on a log scale at its mean work
// per message in µs (CPU plus sleep); no work, which a log scale cannot
// show at 0, goes a decade left of the least work. It returns the
// positions by work and the ticks that name them.
func workAxis(works []string) (map[string]float64, []plot.Tick, error) {
	xs := map[string]float64{}
	least := math.Inf(1)
	for _, w := range works {
		cpu, sleep, err := workPerMsg(w)
		if err != nil {
			return nil, nil, err
		}
		x := float64(cpu+sleep) / 1e3
		xs[w] = x
		if x > 0 {
			least = min(least, x)
		}
	}
	if math.IsInf(least, 1) {
		least = 1
	}
	labels := map[float64][]string{}
	for _, w := range works {
		if xs[w] <= 0 {
			xs[w] = least / 10
		}
		labels[xs[w]] = append(labels[xs[w]], w)
	}
	var ticks []plot.Tick
	for x, ls := range labels {
		ticks = append(ticks, plot.Tick{Value: x, Label: strings.Join(ls, "\n")})
	}
	slices.SortFunc(ticks, func(a, b plot.Tick) int { return int(math.Copysign(1, a.Value-b.Value)) })
	// Every other label one line lower, so that works close together on
	// the axis (20 µs and 50 µs) do not print over each other.
	for i := 1; i < len(ticks); i += 2 {
		ticks[i].Label = "\n" + ticks[i].Label
	}
	return xs, ticks, nil
}

// byWork draws one line per engine of fig over the works of the axis, in
// the cell shape c (its Work ignored), both axes logarithmic.
func byWork(res *matrix.Results, c matrix.Cell, ylabel string, fig func(matrix.Summary) float64) (*plot.Plot, error) {
	xs, ticks, err := workAxis(res.Meta.Works)
	if err != nil {
		return nil, err
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("TCP %d connections, %d B, depth %d: handler work against each model", c.Conns, c.Size, c.Depth)
	p.X.Label.Text = "handler work per message (mean µs of CPU plus sleep, log)"
	p.Y.Label.Text = ylabel
	p.X.Scale = plot.LogScale{}
	p.Y.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	var lines []any
	for _, e := range res.Meta.EngineList {
		var xys plotter.XYs
		for _, w := range res.Meta.Works {
			c.Work = w
			s, ok := res.Summary(c, e)
			if ok && s.MsgsPerSec.N > 0 && fig(s) > 0 {
				xys = append(xys, plotter.XY{X: xs[w], Y: fig(s)})
			}
		}
		slices.SortFunc(xys, func(a, b plotter.XY) int { return int(math.Copysign(1, a.X-b.X)) })
		if len(xys) > 0 {
			lines = append(lines, e, xys)
		}
	}
	if len(lines) == 0 {
		// Every run of the cell failed: an empty chart, on linear axes
		// since a log scale has no room for nothing.
		p.Title.Text += " (no figures)"
		p.X.Scale, p.Y.Scale = plot.LinearScale{}, plot.LinearScale{}
		p.Y.Tick.Marker = plot.DefaultTicks{}
		return p, nil
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return nil, err
	}
	p.Legend.Top = false
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(10)
	p.Legend.YOffs = vg.Points(10)
	return p, nil
}
