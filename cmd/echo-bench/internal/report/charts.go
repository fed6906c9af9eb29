package report

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/matrix"
)

// chart is one figure to draw.
type chart struct {
	name string
	draw func() (*plot.Plot, error)
}

// ChartNames lists the charts WriteCharts draws for res, without
// extension.
func ChartNames(res *matrix.Results) []string {
	var out []string
	for _, c := range charts(res) {
		out = append(out, c.name)
	}
	return out
}

// WriteCharts draws every chart as SVG and PNG into dir and returns the
// file names.
func WriteCharts(dir string, res *matrix.Results) ([]string, error) {
	var files []string
	for _, c := range charts(res) {
		p, err := c.draw()
		if err != nil {
			return files, fmt.Errorf("report: chart %s: %w", c.name, err)
		}
		for _, ext := range []string{".svg", ".png"} {
			f := filepath.Join(dir, c.name+ext)
			if err := p.Save(18*vg.Centimeter, 11*vg.Centimeter, f); err != nil {
				return files, fmt.Errorf("report: chart %s: %w", c.name, err)
			}
			files = append(files, f)
		}
	}
	return files, nil
}

// charts plans the charts: msgs/s and p99 by connections for each TCP
// size and depth, server CPU per message for every cell, and idle memory.
func charts(res *matrix.Results) []chart {
	var out []chart
	type key struct {
		size, depth int
		work        string
	}
	var keys []key
	var conns []int
	for _, c := range res.Meta.Cells {
		if c.Network != "tcp" {
			continue
		}
		if k := (key{c.Size, c.Depth, c.Work}); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
		if !slices.Contains(conns, c.Conns) {
			conns = append(conns, c.Conns)
		}
	}
	slices.Sort(conns)
	for _, k := range keys {
		suffix := fmt.Sprintf("%dB_d%d", k.size, k.depth)
		if k.work != "" {
			suffix += "_" + workSlug(k.work)
		}
		out = append(out,
			chart{"msgs_by_conns_" + suffix, func() (*plot.Plot, error) {
				return byConns(res, conns, k.size, k.depth, k.work, "messages per second", func(s matrix.Summary) float64 { return s.MsgsPerSec.Median })
			}},
			chart{"p99_by_conns_" + suffix, func() (*plot.Plot, error) {
				return byConns(res, conns, k.size, k.depth, k.work, "p99 latency (µs)", func(s matrix.Summary) float64 { return s.P99.Median })
			}})
	}
	out = append(out, workCharts(res)...)
	if len(res.Summaries) > 0 {
		out = append(out, chart{"server_cpu_per_msg", func() (*plot.Plot, error) { return cpuPerMsg(res) }})
	}
	if len(res.Idle) > 0 {
		out = append(out, chart{"idle_bytes_per_conn", func() (*plot.Plot, error) { return idleMemory(res) }})
	}
	return out
}

// byConns draws one line per engine of fig over the connection counts.
func byConns(res *matrix.Results, conns []int, size, depth int, work, ylabel string, fig func(matrix.Summary) float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("TCP %d B, depth %d", size, depth)
	if work != "" {
		p.Title.Text += ", work " + work
	}
	p.X.Label.Text = "connections"
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	names := make([]string, len(conns))
	for i, c := range conns {
		names[i] = fmt.Sprint(c)
	}
	var lines []any
	for _, e := range res.Meta.EngineList {
		var xys plotter.XYs
		for i, c := range conns {
			s, ok := res.Summary(matrix.Cell{Network: "tcp", Conns: c, Size: size, Depth: depth, Work: work}, e)
			if ok && s.MsgsPerSec.N > 0 {
				xys = append(xys, plotter.XY{X: float64(i), Y: fig(s)})
			}
		}
		if len(xys) > 0 {
			lines = append(lines, e, xys)
		}
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return nil, err
	}
	p.NominalX(names...)
	// Top left: throughput and latency both tend to rise with
	// connections, so the top right is where the data is.
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(10)
	return p, nil
}

// cpuPerMsg draws grouped bars: for each cell, one bar per engine.
func cpuPerMsg(res *matrix.Results) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Server CPU per message (lower is better)"
	p.Y.Label.Text = "µs per message"
	var labels []string
	for _, c := range res.Meta.Cells {
		l := cellColumn(c)
		if c.Work != "" {
			l += " " + c.Work
		}
		labels = append(labels, l)
	}
	n := len(res.Meta.EngineList)
	// A group of n bars takes at most 80% of the room one cell gets on
	// the x axis (about 15 cm of the 18 cm canvas), so groups never touch.
	room := 15 * vg.Centimeter / vg.Length(max(len(res.Meta.Cells), 1))
	width := min(vg.Points(60)/vg.Length(max(n, 1)), room*0.8/vg.Length(max(n, 1)))
	for i, e := range res.Meta.EngineList {
		vals := make(plotter.Values, len(res.Meta.Cells))
		for j, c := range res.Meta.Cells {
			if s, ok := res.Summary(c, e); ok {
				vals[j] = s.ServerUsPerMsg.Median
			}
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, err
		}
		bars.LineStyle.Width = 0
		bars.Color = plotutil.Color(i)
		bars.Offset = vg.Length(float64(i)-float64(n-1)/2) * width
		p.Add(bars)
		p.Legend.Add(e, bars)
	}
	p.NominalX(labels...)
	p.X.Tick.Label.Rotation = 0.5
	p.X.Tick.Label.XAlign = -0.9
	p.Legend.Top = true
	return p, nil
}

// idleMemory draws server bytes per idle connection per engine.
func idleMemory(res *matrix.Results) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Server memory per idle connection (%d connections)", res.Idle[0].Conns)
	p.Y.Label.Text = "RSS bytes per connection"
	vals := make(plotter.Values, len(res.Idle))
	var names []string
	for i, r := range res.Idle {
		vals[i] = max(r.BytesPerConn, 0)
		names = append(names, r.Engine)
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(30))
	if err != nil {
		return nil, err
	}
	bars.Color = plotutil.Color(0)
	p.Add(bars)
	// The figures span three orders of magnitude, so the small bars
	// carry their value in writing.
	var xys plotter.XYLabels
	for i, v := range vals {
		xys.XYs = append(xys.XYs, plotter.XY{X: float64(i), Y: v})
		xys.Labels = append(xys.Labels, fmt.Sprintf("%.0f B", v))
	}
	labels, err := plotter.NewLabels(xys)
	if err != nil {
		return nil, err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].XAlign = -0.5
		labels.TextStyle[i].YAlign = 0.2
	}
	p.Add(labels)
	p.NominalX(names...)
	return p, nil
}

// workSlug turns a work spec into a part of a file name:
// "cpu:20us,sleep:5ms@1%" becomes "cpu-20us+sleep-5ms-at-1pct".
func workSlug(work string) string {
	return strings.NewReplacer(":", "-", ",", "+", "@", "-at-", "%", "pct", "/", "-", " ", "").Replace(work)
}
