// Package bench is rawnet's load generator: it drives an echo server over
// loopback (or any address) the way a real client does and measures what
// comes back.
//
// Run opens Config.Conns TCP connections or connected UDP sockets, keeps
// Config.Depth messages in flight on each (closed loop) or sends at a fixed
// Config.Rate (open loop, timed from each message's intended send time so
// that a stalled server cannot hide its stall, as wrk2 does), and verifies
// every echo byte for byte. Every message carries its connection id and
// sequence number; any mismatch, and for TCP any missing echo, fails the run
// with an error that names the connection, the message and the byte. UDP
// runs report loss, reordering, duplicates and jitter instead of failing on
// them, because datagrams may be dropped by design.
//
// The hot path is lean on purpose: each worker is one goroutine locked to an
// OS thread that drives its share of the connections with raw non-blocking
// file descriptors and its own epoll set, batching the messages one
// connection may send into a single write. UDP sockets read with one
// recvmmsg per readiness event and send with sendmmsg, a run of datagrams
// of one size as one UDP_SEGMENT message. The package imports no engine and
// not rawnet's own reactor (netpoll), only the frame formats and small
// internal helpers, so the client stays independent of the servers it
// measures; echo-bench's dependency test fails if that changes. The
// client's CPU use, and how long its workers waited for a CPU, are
// reported with every result, and a result is flagged as client-bound
// when the client ran or waited to run on its cores 90% of the time.
//
// Latency is recorded in one HdrHistogram per worker, merged at the end.
//
// With Config.Interval and Config.Intervals each worker also cuts its
// histogram at every interval boundary and hands the part over without
// waiting; interval k, merged over the workers, goes to Config.Intervals
// once every worker has finished it. LogWriter writes those intervals as
// a standard HdrHistogram interval log, with the run's Result as its last
// line, and ReadLog reads one back. Merge combines the results of runs
// made at once by several processes or hosts (Config.StartAt starts them
// together) into one result whose percentiles are exactly those of every
// round trip: it merges histograms bucket for bucket, never averages
// percentiles. MergeLogs does the same for logs, merging their intervals
// by time, and its result written as a log merges again like any other.
//
// The harness that starts servers and compares engines (echo-bench matrix
// and echo-bench scale) is not part of this package: it lives under
// cmd/echo-bench/internal, so importing bench brings the load generator
// alone.
package bench
