package work

import "time"

// spin runs n steps of xorshift64 from x and returns where it ended. Each
// step depends on the one before, so the steps cannot overlap or be
// vectorised, and the loop touches no memory: it occupies one CPU at a
// steady rate, which calibrate measures, and the race detector has
// nothing in it to instrument.
func spin(x uint64, n int) uint64 {
	x |= 1 // xorshift never leaves 0
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// iterations returns how many steps of spin take d at rate steps per
// nanosecond.
func iterations(d time.Duration, rate float64) int {
	if d <= 0 {
		return 0
	}
	return int(float64(d) * rate)
}
