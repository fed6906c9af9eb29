package enginetest

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/rawnet/rawnet/frame"
)

// framing is a named frame.Spec the cases run with.
type framing struct {
	name string
	spec frame.Spec
}

// tcpFramings lists every framing, with each length header size; the
// 1-byte header gets a limit its header can exceed.
func tcpFramings() []framing {
	return []framing{
		{"raw", frame.Spec{Kind: frame.KindRaw}},
		{"line", frame.Spec{Kind: frame.KindLine}},
		{"length1", frame.Spec{Kind: frame.KindLength, LengthBytes: 1, Max: 200}},
		{"length2", frame.Spec{Kind: frame.KindLength, LengthBytes: 2}},
		{"length4", frame.Spec{Kind: frame.KindLength, LengthBytes: 4}},
		{"length8", frame.Spec{Kind: frame.KindLength, LengthBytes: 8}},
		{"fixed", frame.Spec{Kind: frame.KindFixed, FixedSize: 100}},
	}
}

// newRand returns a generator seeded from ENGINETEST_SEED or the clock,
// and logs the seed if the case fails.
func newRand(t tb) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ENGINETEST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("ENGINETEST_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("random seed: ENGINETEST_SEED=%d", seed)
		}
	})
	return newSeeded(seed)
}

// newSeeded returns a generator for a seed another one drew.
func newSeeded(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// gen builds valid frames for one framing.
type gen struct {
	rng    *rand.Rand
	codec  frame.Codec
	header int // length header bytes, 0 if none
	max    int // largest payload a frame may carry
}

// newGen returns a frame generator for spec.
func newGen(rng *rand.Rand, spec frame.Spec) (*gen, error) {
	codec, err := frame.New(spec)
	if err != nil {
		return nil, err
	}
	g := &gen{rng: rng, codec: codec}
	switch c := codec.(type) {
	case frame.Raw:
		g.max = c.Limit
	case frame.Line:
		g.max = c.Limit - 1
	case frame.Length:
		g.header = c.HeaderBytes
		g.max = c.Limit - c.HeaderBytes
		if c.HeaderBytes < 8 {
			g.max = min(g.max, 1<<(8*c.HeaderBytes)-1)
		}
	case frame.Fixed:
		g.max = c.Size
	default:
		return nil, fmt.Errorf("enginetest: no generator for codec %s", codec)
	}
	return g, nil
}

// frame returns one valid frame carrying a payload of n bytes; for raw
// and fixed framing the frame is the payload, and fixed ignores n.
func (g *gen) frame(n int) []byte {
	switch c := g.codec.(type) {
	case frame.Line:
		p := make([]byte, n+1)
		g.fill(p[:n])
		for i := range n {
			if p[i] == '\n' {
				p[i] = ' '
			}
		}
		p[n] = '\n'
		return p
	case frame.Length:
		p := make([]byte, g.header+n)
		putHeader(p, g.header, uint64(n))
		g.fill(p[g.header:])
		return p
	case frame.Fixed:
		p := make([]byte, c.Size)
		g.fill(p)
		return p
	default:
		p := make([]byte, n)
		g.fill(p)
		return p
	}
}

// randFrame returns a valid frame of random size: often small, sometimes
// empty or as large as the limit allows.
func (g *gen) randFrame() []byte {
	n := 0
	switch g.rng.IntN(16) {
	case 0:
	case 1:
		n = g.max
	default:
		n = logUniform(g.rng, 1, g.max)
	}
	if _, raw := g.codec.(frame.Raw); raw && n == 0 {
		n = 1
	}
	return g.frame(n)
}

// stream returns whole frames adding up to at least size bytes, and how
// many frames it holds.
func (g *gen) stream(size int) ([]byte, int) {
	if _, raw := g.codec.(frame.Raw); raw {
		p := make([]byte, size)
		g.fill(p)
		return p, 0
	}
	out := make([]byte, 0, size+g.max+g.header+1)
	frames := 0
	for len(out) < size {
		out = append(out, g.randFrame()...)
		frames++
	}
	return out, frames
}

// fill writes random bytes into p.
func (g *gen) fill(p []byte) {
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, g.rng.Uint64())
		p = p[8:]
	}
	for i := range p {
		p[i] = byte(g.rng.Uint32())
	}
}

// putHeader writes v big-endian into the first size bytes of p.
func putHeader(p []byte, size int, v uint64) {
	for i := size - 1; i >= 0; i-- {
		p[i] = byte(v)
		v >>= 8
	}
}

// logUniform returns an int in [lo, hi] whose logarithm is uniform, so
// small and large sizes are equally represented.
func logUniform(rng *rand.Rand, lo, hi int) int {
	if hi <= lo {
		return lo
	}
	l, h := math.Log(float64(lo)), math.Log(float64(hi)+1)
	return min(hi, int(math.Exp(l+rng.Float64()*(h-l))))
}
