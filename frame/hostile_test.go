package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"testing"
)

// header encodes v as a big-endian header of hb bytes, reporting false
// when v does not fit.
func header(hb int, v uint64) ([]byte, bool) {
	if hb < 8 && v >= 1<<(8*hb) {
		return nil, false
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[8-hb:], true
}

// hostileCase is a header declaring more than its codec allows.
type hostileCase struct {
	name  string
	codec Length
	hdr   []byte
	want  error
}

// hostileCases returns, for every header size, headers that declare sizes
// a peer could use to make a careless server allocate: all ones, the top
// bit alone, 0xFFFFFFFF, 0x80000000 and one byte over the limit.
func hostileCases() []hostileCase {
	limits := map[int]int{1: 100, 2: 1000, 4: DefaultMax, 8: DefaultMax}
	var cases []hostileCase
	for _, hb := range []int{1, 2, 4, 8} {
		c := Length{HeaderBytes: hb, Limit: limits[hb]}
		declared := []struct {
			name string
			v    uint64
		}{
			{name: "all ones", v: math.MaxUint64 >> (64 - 8*hb)},
			{name: "top bit", v: 1 << (8*hb - 1)},
			{name: "0xFFFFFFFF", v: 0xFFFFFFFF},
			{name: "0x80000000", v: 0x80000000},
			{name: "0xFFFFFFFFFFFFFFFF", v: math.MaxUint64},
			{name: "limit+1", v: uint64(c.Limit-hb) + 1},
		}
		for _, d := range declared {
			hdr, ok := header(hb, d.v)
			if !ok {
				continue
			}
			want := ErrTooLarge
			if d.v > math.MaxInt64 {
				want = ErrBadHeader
			}
			cases = append(cases, hostileCase{
				name:  fmt.Sprintf("length/%d/%s=%#x", hb, d.name, d.v),
				codec: c,
				hdr:   hdr,
				want:  want,
			})
		}
	}
	return cases
}

func TestHostileHeadersRejectedOnHeaderAlone(t *testing.T) {
	cases := hostileCases()
	if len(cases) < 4*2 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			// The buffer holds the header and nothing else: the verdict
			// must not wait for payload.
			n, err := tt.codec.Next(tt.hdr)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Next(%x) = %d, %v; want %v", tt.hdr, n, err, tt.want)
			}
			if n != 0 {
				t.Errorf("Next returned n=%d with its error", n)
			}
			// A prefix of the header is not yet a verdict.
			for i := range len(tt.hdr) {
				if n, err := tt.codec.Next(tt.hdr[:i]); n != 0 || err != nil {
					t.Errorf("Next(%x) on a %d-byte prefix = %d, %v; want 0, nil", tt.hdr[:i], i, n, err)
				}
			}
		})
	}
}

func TestLimitBoundary(t *testing.T) {
	for _, hb := range []int{1, 2, 4, 8} {
		t.Run(fmt.Sprint(hb), func(t *testing.T) {
			c := Length{HeaderBytes: hb, Limit: hb + 100}
			hdr, _ := header(hb, 100)
			if n, err := c.Next(hdr); n != 0 || err != nil {
				t.Fatalf("payload exactly at limit, header only: %d, %v; want 0, nil", n, err)
			}
			frame := append(hdr, make([]byte, 100)...)
			if n, err := c.Next(frame); n != c.Limit || err != nil {
				t.Fatalf("payload exactly at limit: %d, %v; want %d", n, err, c.Limit)
			}
			over, _ := header(hb, 101)
			if _, err := c.Next(over); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("payload one over limit: %v, want ErrTooLarge", err)
			}
		})
	}
}

// TestHostileHeaderAllocatesLittle shows that rejecting a declared size
// costs a small error value, never memory proportional to the declaration.
func TestHostileHeaderAllocatesLittle(t *testing.T) {
	const runs = 100
	for _, tt := range hostileCases() {
		t.Run(tt.name, func(t *testing.T) {
			if allocs := testing.AllocsPerRun(runs, func() { _, _ = tt.codec.Next(tt.hdr) }); allocs > 8 {
				t.Errorf("%v allocations per rejection, want a few for the formatted error", allocs)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range runs {
				if _, err := tt.codec.Next(tt.hdr); err == nil {
					t.Fatal("header accepted")
				}
			}
			runtime.ReadMemStats(&after)
			if perCall := (after.TotalAlloc - before.TotalAlloc) / runs; perCall >= 1024 {
				t.Errorf("rejecting %x allocated %d bytes per call, want < 1 KiB", tt.hdr, perCall)
			}
		})
	}
}

// TestSuccessPathDoesNotAllocate covers complete frames and the "need more"
// answer, the two results an engine sees on every read.
func TestSuccessPathDoesNotAllocate(t *testing.T) {
	tests := []struct {
		name  string
		codec Codec
		buf   []byte
	}{
		{name: "raw", codec: Raw{Limit: 16}, buf: []byte("hello")},
		{name: "line frame", codec: Line{Limit: 16}, buf: []byte("hello\n")},
		{name: "line partial", codec: Line{Limit: 16}, buf: []byte("hel")},
		{name: "length/1 frame", codec: Length{HeaderBytes: 1, Limit: 16}, buf: []byte{2, 'h', 'i'}},
		{name: "length/2 frame", codec: Length{HeaderBytes: 2, Limit: 16}, buf: []byte{0, 2, 'h', 'i'}},
		{name: "length/4 frame", codec: Length{HeaderBytes: 4, Limit: 16}, buf: []byte{0, 0, 0, 2, 'h', 'i'}},
		{name: "length/8 frame", codec: Length{HeaderBytes: 8, Limit: 16}, buf: []byte{0, 0, 0, 0, 0, 0, 0, 2, 'h', 'i'}},
		{name: "length/4 header only", codec: Length{HeaderBytes: 4, Limit: 16}, buf: []byte{0, 0, 0, 9}},
		{name: "length/4 partial header", codec: Length{HeaderBytes: 4, Limit: 16}, buf: []byte{0, 0}},
		{name: "fixed frame", codec: Fixed{Size: 4}, buf: []byte("abcd")},
		{name: "fixed partial", codec: Fixed{Size: 4}, buf: []byte("ab")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.codec.Next(tt.buf); err != nil {
				t.Fatal(err)
			}
			if allocs := testing.AllocsPerRun(100, func() { _, _ = tt.codec.Next(tt.buf) }); allocs != 0 {
				t.Errorf("%v allocations per call, want 0", allocs)
			}
		})
	}
}
