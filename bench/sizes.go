package bench

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/rawnet/rawnet/internal/bytesize"
)

// Sizes is a distribution of message sizes in bytes, each size counted as
// the frame the server sees (length header and delimiter included). Its
// zero value means 64-byte messages.
type Sizes struct {
	// Values are the sizes to choose from.
	Values []int
	// Weights, when set, has one positive weight per value; nil means
	// every value is equally likely. With Range set they are ignored.
	Weights []int
	// Range, when true, draws uniformly from Values[0] to Values[1]
	// inclusive.
	Range bool
}

// ParseSizes reads a size distribution:
//
//	64            every message 64 bytes
//	64,1024       either size, equally likely
//	64:9,1024:1   weighted: 90% 64 bytes, 10% 1024 bytes
//	64-1024       uniform over the range, inclusive
//
// Sizes take the binary unit suffixes of bytesize.Parse: K, KB and KiB
// all mean 1024, and M and G work the same way.
func ParseSizes(s string) (Sizes, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Sizes{}, fmt.Errorf("bench: empty size")
	}
	if lo, hi, ok := strings.Cut(s, "-"); ok {
		a, err := parseSize(lo)
		if err != nil {
			return Sizes{}, err
		}
		b, err := parseSize(hi)
		if err != nil {
			return Sizes{}, err
		}
		if b < a {
			return Sizes{}, fmt.Errorf("bench: size range %q runs backwards", s)
		}
		return Sizes{Values: []int{a, b}, Range: true}, nil
	}
	var out Sizes
	weighted := strings.Contains(s, ":")
	for _, part := range strings.Split(s, ",") {
		v, w, hasW := strings.Cut(part, ":")
		if hasW != weighted {
			return Sizes{}, fmt.Errorf("bench: size %q: give a weight for every size or for none", s)
		}
		n, err := parseSize(v)
		if err != nil {
			return Sizes{}, err
		}
		out.Values = append(out.Values, n)
		if hasW {
			wt, err := strconv.Atoi(strings.TrimSpace(w))
			if err != nil || wt <= 0 {
				return Sizes{}, fmt.Errorf("bench: size weight %q must be a positive integer", w)
			}
			out.Weights = append(out.Weights, wt)
		}
	}
	return out, nil
}

// parseSize reads one size such as "64", "1K" or "1KiB".
func parseSize(s string) (int, error) {
	n, err := bytesize.Parse(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bench: size %q is not a positive number of bytes", strings.TrimSpace(s))
	}
	return n, nil
}

// String formats the distribution the way ParseSizes reads it.
func (z Sizes) String() string {
	z = z.orDefault()
	if z.Range {
		return fmt.Sprintf("%d-%d", z.Values[0], z.Values[1])
	}
	parts := make([]string, len(z.Values))
	for i, v := range z.Values {
		parts[i] = strconv.Itoa(v)
		if z.Weights != nil {
			parts[i] += ":" + strconv.Itoa(z.Weights[i])
		}
	}
	return strings.Join(parts, ",")
}

// orDefault returns z, or 64-byte messages for the zero value.
func (z Sizes) orDefault() Sizes {
	if len(z.Values) == 0 {
		return Sizes{Values: []int{64}}
	}
	return z
}

// validate checks the distribution is well formed and every size can be
// sent with layout l.
func (z Sizes) validate(l layout) error {
	if z.Range && len(z.Values) != 2 {
		return fmt.Errorf("bench: a size range needs two bounds")
	}
	if z.Weights != nil && len(z.Weights) != len(z.Values) {
		return fmt.Errorf("bench: %d size weights for %d sizes", len(z.Weights), len(z.Values))
	}
	for _, v := range z.Values {
		if err := l.checkSize(v); err != nil {
			return err
		}
	}
	return nil
}

// Max returns the largest size the distribution can draw.
func (z Sizes) Max() int {
	z = z.orDefault()
	m := 0
	for _, v := range z.Values {
		m = max(m, v)
	}
	return m
}

// Mean returns the expected size.
func (z Sizes) Mean() float64 {
	z = z.orDefault()
	if z.Range {
		return float64(z.Values[0]+z.Values[1]) / 2
	}
	var sum, total float64
	for i, v := range z.Values {
		w := 1.0
		if z.Weights != nil {
			w = float64(z.Weights[i])
		}
		sum += w * float64(v)
		total += w
	}
	return sum / total
}

// picker draws sizes from a distribution without allocating.
type picker struct {
	fixed  int // the only size, or 0 when there is a choice
	values []int
	cum    []int // cumulative weights
	lo, hi int   // range bounds
	rng    *rand.Rand
}

// newPicker returns a picker for z seeded with seed.
func newPicker(z Sizes, seed uint64) *picker {
	z = z.orDefault()
	p := &picker{rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
	switch {
	case z.Range:
		p.lo, p.hi = z.Values[0], z.Values[1]
	case len(z.Values) == 1:
		p.fixed = z.Values[0]
	default:
		p.values = z.Values
		total := 0
		for i := range z.Values {
			w := 1
			if z.Weights != nil {
				w = z.Weights[i]
			}
			total += w
			p.cum = append(p.cum, total)
		}
	}
	return p
}

// next draws one size.
func (p *picker) next() int {
	switch {
	case p.fixed > 0:
		return p.fixed
	case p.values == nil:
		return p.lo + p.rng.IntN(p.hi-p.lo+1)
	}
	r := p.rng.IntN(p.cum[len(p.cum)-1])
	for i, c := range p.cum {
		if r < c {
			return p.values[i]
		}
	}
	return p.values[len(p.values)-1]
}
