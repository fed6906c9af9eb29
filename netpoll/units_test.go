package netpoll

import (
	"bytes"
	"testing"
)

func TestClassOf(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want int // capacity get returns, or -1 for unpooled
	}{
		{name: "zero", n: 0, want: 512},
		{name: "one", n: 1, want: 512},
		{name: "smallest class", n: 512, want: 512},
		{name: "just over", n: 513, want: 1024},
		{name: "power of two", n: 64 << 10, want: 64 << 10},
		{name: "largest class", n: 4 << 20, want: 4 << 20},
		{name: "unpooled", n: 4<<20 + 1, want: 4<<20 + 1},
	}
	var p bufPool
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := p.get(tt.n)
			if len(b) != 0 || cap(b) != tt.want {
				t.Fatalf("get(%d): len %d cap %d, want len 0 cap %d", tt.n, len(b), cap(b), tt.want)
			}
		})
	}
}

func TestBufPoolReuseAndBound(t *testing.T) {
	var p bufPool
	b := p.get(1000)
	b = append(b, "dirty"...)
	p.put(b)
	again := p.get(700)
	if &again[:1][0] != &b[:1][0] || len(again) != 0 {
		t.Fatal("put buffer not reused, or reused with a length")
	}
	p.put(make([]byte, 0, 1000)) // not a class size: dropped
	if n := len(p.free[classOf(1000)]); n != 0 {
		t.Fatalf("odd-sized buffer pooled (%d kept)", n)
	}
	big := 1 << 20
	for range 10 {
		p.put(make([]byte, 0, big))
	}
	if n, keep := len(p.free[classOf(big)]), max(2, poolKeepBytes/big); n != keep {
		t.Fatalf("class of %d bytes keeps %d buffers, want %d", big, n, keep)
	}
}

func TestOutQueue(t *testing.T) {
	var p bufPool
	var q outQueue
	var want []byte
	// Pieces of many sizes, some spanning several chunks.
	for i, n := range []int{1, 100, minChunk, maxChunk + 7, 3, 2 * maxChunk} {
		piece := bytes.Repeat([]byte{byte('a' + i)}, n)
		q.append(&p, piece)
		want = append(want, piece...)
	}
	if q.n != len(want) {
		t.Fatalf("queue holds %d bytes, want %d", q.n, len(want))
	}
	// Consume in uneven steps, checking the pending bytes each time.
	for _, step := range []int{0, 1, 99, minChunk + 5, maxChunk, 11} {
		q.consume(&p, step)
		want = want[step:]
		var got []byte
		for i, pc := range q.pieces() {
			if i == 0 {
				pc = pc[q.off:]
			}
			got = append(got, pc...)
		}
		if !bytes.Equal(got, want) || q.n != len(want) {
			t.Fatalf("after consuming %d: %d bytes pending (n=%d), want %d", step, len(got), q.n, len(want))
		}
	}
	q.consume(&p, q.n)
	if q.n != 0 || len(q.pieces()) != 0 {
		t.Fatalf("drained queue holds n=%d in %d pieces", q.n, len(q.pieces()))
	}
	q.append(&p, []byte("again"))
	q.reset(&p)
	if q.n != 0 || len(q.pieces()) != 0 {
		t.Fatal("reset left bytes behind")
	}
}

// TestOutQueueFirstChunkFits checks that an empty queue takes a chunk
// the size of what it is given, so a burst of small replies on the
// io_uring backend leaves small chunks in the pool, and that output
// appended past the first chunk gets minChunk at least.
func TestOutQueueFirstChunkFits(t *testing.T) {
	var p bufPool
	var q outQueue
	q.append(&p, make([]byte, 64))
	if got := cap(q.pieces()[0]); got != 1<<minClassShift {
		t.Fatalf("a 64-byte reply took a %d-byte chunk, want %d", got, 1<<minClassShift)
	}
	q.append(&p, make([]byte, 1000))
	pieces := q.pieces()
	if len(pieces) != 2 || cap(pieces[1]) < minChunk {
		t.Fatalf("output past the first chunk: %d pieces, last of capacity %d, want 2 with at least %d", len(pieces), cap(pieces[len(pieces)-1]), minChunk)
	}
	if q.n != 1064 {
		t.Fatalf("queue holds %d bytes, want 1064", q.n)
	}
}
