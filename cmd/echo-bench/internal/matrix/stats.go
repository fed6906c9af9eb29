package matrix

import (
	"math"
	"slices"
)

// Stat summarises one figure over a cell's repeats.
type Stat struct {
	// Median is the middle value (the mean of the two middle values for
	// an even count).
	Median float64 `json:"median"`
	// Min and Max bound the repeats.
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	// Spread is (Max - Min) / Median in percent: how far apart the
	// repeats were.
	Spread float64 `json:"spread_pct"`
	// N is the number of repeats that produced a value.
	N int `json:"n"`
}

// NewStat summarises vs; NaN values are ignored.
func NewStat(vs []float64) Stat {
	var xs []float64
	for _, v := range vs {
		if !math.IsNaN(v) {
			xs = append(xs, v)
		}
	}
	if len(xs) == 0 {
		return Stat{}
	}
	slices.Sort(xs)
	n := len(xs)
	s := Stat{Min: xs[0], Max: xs[n-1], N: n}
	if n%2 == 1 {
		s.Median = xs[n/2]
	} else {
		s.Median = (xs[n/2-1] + xs[n/2]) / 2
	}
	if s.Median != 0 {
		s.Spread = 100 * (s.Max - s.Min) / math.Abs(s.Median)
	}
	return s
}
