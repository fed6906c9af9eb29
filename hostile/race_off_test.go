//go:build !race

package hostile

// raceDetector says the test binary was built with -race.
const raceDetector = false
