// Command colocate measures what netpoll's loops do to the rest of the
// process they run in, the case a program that embeds netpoll lives with:
//
//	colocate pingpong   goroutine clients on Go's net package ping-pong
//	                    with an echo server in the same process
//	colocate scrape     a net/http handler in the same process answers
//	                    GETs from a goroutine client while a load
//	                    generator in another process keeps the loops busy;
//	                    with --bins, echo-tcp binaries serve their own
//	                    /metrics instead; with --get-fifo, the GETs come
//	                    from a child process at a real-time priority
//	colocate get        the GETs of such a child: one time a line
//
// Both compare server variants side by side in one run, the order of the
// variants rotating from round to round: netpoll with each Config.Wait
// mode, with and without Config.LockThreads, and a goroutine-per-connection
// server on Go's net package, like rawnet's std engine. Loops default to
// GOMAXPROCS, the case where a loop that keeps its P while it sleeps
// leaves no P to anyone else. Every round prints one line per variant; the
// summary gives the median over rounds and its ratio to the variant named
// in --ratio-to. docs/perf/README.md ("Loops that share the process") has
// the commands and the results.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "pingpong":
		err = pingpong(os.Args[2:])
	case "scrape":
		err = scrape(os.Args[2:])
	case "get":
		err = getCmd(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "colocate:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: colocate pingpong|scrape|get [flags]; colocate pingpong --help for the flags")
	os.Exit(2)
}
