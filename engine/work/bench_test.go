package work

import "testing"

// BenchmarkFramesNoWork is the cost of the zero Runner on an engine's
// hot path: it must be a branch and no allocation.
func BenchmarkFramesNoWork(b *testing.B) {
	var r Runner
	b.ReportAllocs()
	for b.Loop() {
		r.Frames(4)
	}
}

// BenchmarkDraw is the cost of deciding the work of one frame with a
// term with a share.
func BenchmarkDraw(b *testing.B) {
	r := NewSource(Spec{terms: []Term{{Kind: Sleep, Duration: 1, Percent: 1}}}, 1, Park).Next()
	b.ReportAllocs()
	for b.Loop() {
		r.Draw(1)
	}
}
