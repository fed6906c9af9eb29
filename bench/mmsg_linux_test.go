package bench

import (
	"slices"
	"testing"

	"github.com/rawnet/rawnet/internal/udpgso"
)

func TestUDPBatchPacksRuns(t *testing.T) {
	many := make([]int, readBatch)
	for i := range many {
		many[i] = 64
	}
	tests := []struct {
		name  string
		gso   bool
		sizes []int
		want  []int // datagrams per message
	}{
		{name: "runs of equal sizes", gso: true, sizes: []int{64, 64, 64, 100, 100, 64}, want: []int{3, 2, 1}},
		{name: "without gso", gso: false, sizes: []int{64, 64, 64}, want: []int{1, 1, 1}},
		{name: "segments past the size bound go alone", gso: true, sizes: []int{udpgso.MaxSegment + 1, udpgso.MaxSegment + 1}, want: []int{1, 1}},
		{name: "a full batch", gso: true, sizes: many, want: []int{readBatch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newUDPBatch(slices.Max(tt.sizes), tt.gso)
			k := b.pack(tt.sizes)
			if got := b.counts[:k]; !slices.Equal(got, tt.want) {
				t.Fatalf("datagrams per message %v, want %v", got, tt.want)
			}
			slot := 0
			for m := range k {
				h := &b.smsgs[m].Hdr
				if h.Iov != &b.siov[slot] || int(h.Iovlen) != b.counts[m] {
					t.Fatalf("message %d: %d iovecs, want %d from slot %d", m, h.Iovlen, b.counts[m], slot)
				}
				if (h.Controllen != 0) != (b.counts[m] > 1) {
					t.Fatalf("message %d of %d datagrams has %d bytes of control", m, b.counts[m], h.Controllen)
				}
				for c := range b.counts[m] {
					if int(b.siov[slot+c].Len) != tt.sizes[slot+c] {
						t.Fatalf("slot %d: %d bytes, want %d", slot+c, b.siov[slot+c].Len, tt.sizes[slot+c])
					}
				}
				slot += b.counts[m]
			}
		})
	}
}
