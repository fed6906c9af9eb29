package enginetest_test

import (
	"fmt"

	"github.com/rawnet/rawnet/engine/enginetest"
)

// The cases every engine runs, as Limitation and `go test -run` name them.
func ExampleCases() {
	for _, name := range enginetest.Cases() {
		fmt.Println(name)
	}
	// Output:
	// echo/raw
	// echo/line
	// echo/length1
	// echo/length2
	// echo/length4
	// echo/length8
	// echo/fixed
	// oversized/line
	// oversized/length1
	// oversized/length2
	// oversized/length4
	// oversized/length8
	// badheader/length8
	// halfclose
	// halfclose/partial
	// backpressure
	// maxconns
	// idle
	// idle/frame
	// inputbudget
	// inputbudget/timeout
	// writetimeout
	// emfile
	// shutdown
	// shutdown/deadline
	// restart
	// stats
	// loopback
	// sockopts
	// work
	// udp/echo
	// udp/truncated
	// udp/length
	// udp/ratelimit
	// udp/work
}
