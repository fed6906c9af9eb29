package bench

import (
	"bytes"
	"testing"

	"github.com/rawnet/rawnet/frame"
)

func TestMessageRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		spec frame.Spec
		size int
	}{
		{name: "raw", spec: frame.Spec{Kind: frame.KindRaw}, size: 64},
		{name: "line", spec: frame.Spec{Kind: frame.KindLine}, size: 100},
		{name: "length/1", spec: frame.Spec{Kind: frame.KindLength, LengthBytes: 1}, size: 256},
		{name: "length/2", spec: frame.Spec{Kind: frame.KindLength, LengthBytes: 2}, size: 1000},
		{name: "length/4", spec: frame.Spec{Kind: frame.KindLength, LengthBytes: 4}, size: 40},
		{name: "length/8", spec: frame.Spec{Kind: frame.KindLength, LengthBytes: 8}, size: 21},
		{name: "fixed", spec: frame.Spec{Kind: frame.KindFixed, FixedSize: 32}, size: 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lay, err := newLayout(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if err := lay.checkSize(tt.size); err != nil {
				t.Fatal(err)
			}
			codec, _ := frame.New(tt.spec)
			msg := make([]byte, tt.size)
			lay.encode(msg, 123456, 1<<40+7)
			// The server's codec must see exactly one whole frame.
			if n, err := codec.Next(msg); tt.spec.Kind != frame.KindRaw && (err != nil || n != tt.size) {
				t.Fatalf("codec.Next = %d, %v; want %d", n, err, tt.size)
			}
			if tt.spec.Kind == frame.KindLine && bytes.IndexByte(msg, '\n') != tt.size-1 {
				t.Fatalf("line message has a newline before its end: %q", msg)
			}
			conn, seq, ok := lay.identity(msg)
			if !ok || conn != 123456 || seq != 1<<40+7 {
				t.Fatalf("identity = %d, %d, %v", conn, seq, ok)
			}
			// Compare in pieces, as reads split a stream.
			for cut := 0; cut <= tt.size; cut++ {
				if bad := lay.compare(msg[:cut], 0, tt.size, 123456, 1<<40+7); bad != -1 {
					t.Fatalf("head of %d bytes: mismatch at %d", cut, bad)
				}
				if bad := lay.compare(msg[cut:], cut, tt.size, 123456, 1<<40+7); bad != -1 {
					t.Fatalf("tail from %d: mismatch at %d", cut, bad)
				}
			}
			for i := range msg {
				bad := bytes.Clone(msg)
				bad[i] ^= 0x20
				if got := lay.compare(bad, 0, tt.size, 123456, 1<<40+7); got != i {
					t.Fatalf("flipped byte %d reported at %d", i, got)
				}
			}
			if lay.compare(msg, 0, tt.size, 123456, 1<<40+8) == -1 {
				t.Fatal("a message matched another sequence number")
			}
		})
	}
}

func TestCheckSize(t *testing.T) {
	tests := []struct {
		name string
		spec frame.Spec
		tcp  bool
		size int
		ok   bool
	}{
		{name: "raw minimum", spec: frame.Spec{}, size: idBytes, ok: true},
		{name: "raw too small", spec: frame.Spec{}, size: idBytes - 1},
		{name: "line needs delimiter", spec: frame.Spec{Kind: frame.KindLine}, size: idBytes},
		{name: "length/1 max", spec: frame.Spec{Kind: frame.KindLength, LengthBytes: 1}, size: 256, ok: true},
		{name: "length/1 over", spec: frame.Spec{Kind: frame.KindLength, LengthBytes: 1}, size: 257},
		{name: "fixed other size", spec: frame.Spec{Kind: frame.KindFixed, FixedSize: 64}, size: 65},
		{name: "over udp max", spec: frame.Spec{}, size: maxMessage + 1},
		{name: "tcp carries 1 MiB", spec: frame.Spec{Kind: frame.KindLength, LengthBytes: 4}, tcp: true, size: 1 << 20, ok: true},
		{name: "over tcp max", spec: frame.Spec{}, tcp: true, size: maxTCPMessage + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lay, err := newLayout(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			lay.tcp = tt.tcp
			if err := lay.checkSize(tt.size); (err == nil) != tt.ok {
				t.Fatalf("checkSize(%d) = %v, want ok=%v", tt.size, err, tt.ok)
			}
		})
	}
}

func FuzzGetID(f *testing.F) {
	f.Add(uint32(0), uint64(0))
	f.Add(uint32(1<<32-1), uint64(maxSeq))
	f.Fuzz(func(t *testing.T, conn uint32, seq uint64) {
		seq &= maxSeq
		var b [idBytes]byte
		putID(b[:], conn, seq)
		if bytes.IndexByte(b[:], '\n') >= 0 {
			t.Fatal("identity contains a newline")
		}
		c, s, ok := getID(b[:])
		if !ok || c != conn || s != seq {
			t.Fatalf("getID = %d, %d, %v; want %d, %d", c, s, ok, conn, seq)
		}
	})
}
