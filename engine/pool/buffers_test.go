package pool

import "testing"

func TestClassOf(t *testing.T) {
	tests := []struct {
		n, want int
	}{
		{n: 0, want: 0},
		{n: 1, want: 0},
		{n: 512, want: 0},
		{n: 513, want: 1},
		{n: 1024, want: 1},
		{n: 64 << 10, want: 7},
		{n: 4 << 20, want: 13},
		{n: 4<<20 + 1, want: -1},
	}
	for _, tt := range tests {
		if got := classOf(tt.n); got != tt.want {
			t.Errorf("classOf(%d) = %d, want %d", tt.n, got, tt.want)
		}
		if tt.want >= 0 && 1<<(tt.want+minShift) < tt.n {
			t.Errorf("class %d of %d bytes is too small", tt.want, tt.n)
		}
	}
}
