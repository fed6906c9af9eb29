//go:build linux

package hostile

import "time"

// cases lists the suite in the order TestHostile runs it: stream
// integrity first, then connection ends, resource attacks, framing
// attacks, limits, UDP and shutdown.
func cases() []hcase {
	return []hcase{
		{name: "halfclose/8MiB", quick: true, run: halfCloseCase(8<<20, false)},
		{name: "halfclose/32MiB", run: halfCloseCase(32<<20, true)},
		{name: "fin-after-frames", quick: true, run: finAfterFramesCase},
		{name: "rst-after-frames", quick: true, run: rstAfterFramesCase},
		{name: "epipe-midwrite", quick: true, run: epipeCase},
		{name: "fdreuse-crosstalk", quick: true, run: fdReuseCase(2000, 3e9)},
		{name: "fdreuse-crosstalk/long", run: fdReuseCase(20000, 20e9)},
		{name: "partialwrite", quick: true, run: partialWriteCase(1<<20, 1<<20)},
		{name: "partialwrite/16MiB", run: partialWriteCase(16<<20, 4<<20)},
		{name: "neverread/heap", quick: true, run: neverReadHeapCase},
		{name: "neverread/rss", run: neverReadRSSCase},
		{name: "starvation", quick: true, run: starvationCase},
		{name: "starvation/process", quick: true, run: starvationProcessCase},
		{name: "framing/huge-length", quick: true, run: hugeLengthCase},
		{name: "framing/line-100MiB", quick: true, run: lineFloodCase},
		{name: "framing/fixed-tail", quick: true, run: fixedTailCase},
		{name: "framing/inflight-budget", run: inflightBudgetCase},
		{name: "slowreaders", quick: true, run: slowReadersCase(200)},
		{name: "slowreaders/2000", run: slowReadersCase(2000)},
		{name: "slowloris-idle", quick: true, run: slowlorisCase(100, 500*time.Millisecond)},
		{name: "slowloris-idle/1000", run: slowlorisCase(1000, time.Second)},
		{name: "emfile-storm", quick: true, run: emfileCase},
		{name: "maxconns-under-fdlimit", quick: true, run: maxConnsCase},
		{name: "restart-same-port", quick: true, run: restartCase},
		{name: "udp/oversize", quick: true, run: udpOversizeCase},
		{name: "udp/public-bind", quick: true, root: true, run: udpPublicCase},
		{name: "sigterm-drain", quick: true, run: sigtermCase},
		{name: "shutdown/toxiproxy", run: toxiproxyCase},
		{name: "shutdown/netns", root: true, run: netnsCase},
	}
}
