package enginetest

// cases lists the suite in the order Run runs it: echo integrity for
// every framing first, then bad input, stream ends, limits, shutdown,
// statistics, socket options, handler work and UDP.
func cases() []testCase {
	var cs []testCase
	for _, f := range tcpFramings() {
		cs = append(cs, testCase{"echo/" + f.name, echoCase(f)})
	}
	for _, f := range oversizeFramings() {
		cs = append(cs, testCase{"oversized/" + f.name, oversizedCase(f)})
	}
	return append(cs,
		testCase{"badheader/length8", badHeaderCase},
		testCase{"halfclose", halfCloseCase},
		testCase{"halfclose/partial", halfClosePartialCase},
		testCase{"backpressure", backpressureCase},
		testCase{"maxconns", maxConnsCase},
		testCase{"idle", idleCase},
		testCase{"idle/frame", frameTimeoutCase},
		testCase{"inputbudget", inputBudgetCase},
		testCase{"inputbudget/timeout", inputBudgetTimeoutCase},
		testCase{"writetimeout", writeTimeoutCase},
		testCase{"emfile", emfileCase},
		testCase{"shutdown", shutdownCase},
		testCase{"shutdown/deadline", shutdownDeadlineCase},
		testCase{"restart", restartCase},
		testCase{"stats", statsCase},
		testCase{"loopback", loopbackCase},
		testCase{"sockopts", sockoptsCase},
		testCase{"work", workCase},
		testCase{"udp/echo", udpEchoCase},
		testCase{"udp/truncated", udpTruncatedCase},
		testCase{"udp/length", udpLengthCase},
		testCase{"udp/ratelimit", udpRateLimitCase},
		testCase{"udp/work", udpWorkCase},
	)
}
