package frame

import "testing"

// BenchmarkNext measures one Next call on a buffer holding a complete
// frame, the hot path of every engine read.
func BenchmarkNext(b *testing.B) {
	line := make([]byte, 512)
	for i := range line {
		line[i] = 'x'
	}
	line[len(line)-1] = '\n'
	lenFrame := append([]byte{0, 0, 2, 0}, make([]byte, 512)...)
	benches := []struct {
		name  string
		codec Codec
		buf   []byte
	}{
		{name: "raw", codec: Raw{Limit: DefaultMax}, buf: line},
		{name: "line/512", codec: Line{Limit: DefaultMax}, buf: line},
		{name: "length/4", codec: Length{HeaderBytes: 4, Limit: DefaultMax}, buf: lenFrame},
		{name: "fixed/512", codec: Fixed{Size: 512}, buf: line},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.buf)))
			for b.Loop() {
				if n, err := bb.codec.Next(bb.buf); n == 0 || err != nil {
					b.Fatalf("Next = %d, %v", n, err)
				}
			}
		})
	}
}

// BenchmarkScan measures cutting a read's worth of frames, 64 frames of
// 64 bytes and the start of the next, as every engine does after a read.
// It must report 0 allocs/op.
func BenchmarkScan(b *testing.B) {
	const frames, size = 64, 64
	line := make([]byte, size)
	for i := range line {
		line[i] = 'x'
	}
	line[size-1] = '\n'
	lenFrame := append([]byte{0, 0, 0, size - 4}, make([]byte, size-4)...)
	repeat := func(fr []byte) []byte {
		var buf []byte
		for range frames {
			buf = append(buf, fr...)
		}
		return append(buf, fr[:size/2]...)
	}
	benches := []struct {
		name  string
		codec Codec
		buf   []byte
	}{
		{name: "line", codec: Line{Limit: DefaultMax}, buf: repeat(line)},
		{name: "length/4", codec: Length{HeaderBytes: 4, Limit: DefaultMax}, buf: repeat(lenFrame)},
		{name: "fixed", codec: Fixed{Size: size}, buf: repeat(line)},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.buf)))
			for b.Loop() {
				if n, k, err := Scan(bb.codec, bb.buf); n != frames*size || k != frames || err != nil {
					b.Fatalf("Scan = %d bytes in %d frames, %v", n, k, err)
				}
			}
		})
	}
}
