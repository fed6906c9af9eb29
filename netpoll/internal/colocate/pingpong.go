package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/spf13/pflag"
)

// pingpong runs --clients goroutines on Go's net package, each
// ping-ponging --size bytes --trips times with an echo server in the same
// process, and reports the round-trip percentiles over all of them.
func pingpong(args []string) error {
	fs := pflag.NewFlagSet("pingpong", pflag.ContinueOnError)
	list := fs.String("variants", "syscall,park,net", "server variants, comma separated: syscall, syscall-unlocked, park, park-locked, net")
	base := fs.String("ratio-to", "net", "variant the p99 ratios are taken against")
	loops := fs.Int("loops", runtime.GOMAXPROCS(0), "netpoll loops (default GOMAXPROCS)")
	clients := fs.Int("clients", 8, "client goroutines, one connection each")
	trips := fs.Int("trips", 2000, "measured round trips per client")
	warm := fs.Int("warmup", 100, "unmeasured round trips per client first")
	size := fs.Int("size", 64, "message size in bytes")
	rounds := fs.Int("rounds", 5, "rounds; each runs every variant once, the order rotating")
	out := fs.String("csv", "", "write every run to this CSV file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	vs, err := parseVariants(*list)
	if err != nil {
		return err
	}
	fmt.Printf("pingpong: GOMAXPROCS=%d NumCPU=%d loops=%d clients=%d trips=%d size=%d rounds=%d %s; load average %s\n",
		runtime.GOMAXPROCS(0), runtime.NumCPU(), *loops, *clients, *trips, *size, *rounds, runtime.Version(), loadavg())
	var results []result
	for round := 1; round <= *rounds; round++ {
		for _, v := range rotate(vs, round-1) {
			samples, err := pingpongRun(v, *loops, *clients, *warm, *trips, *size)
			if err != nil {
				return fmt.Errorf("%s: %w", v.name, err)
			}
			r := newResult(round, v.name, samples)
			printRun(r, nil)
			results = append(results, r)
		}
	}
	fmt.Printf("load average at the end: %s\n", loadavg())
	summarize(os.Stdout, results, vs, *base)
	if *out != "" {
		return writeCSV(*out, results, nil)
	}
	return nil
}

// pingpongRun starts a server of variant v, runs the clients against it
// and returns every measured round trip.
func pingpongRun(v variant, loops, clients, warm, trips, size int) ([]time.Duration, error) {
	srv, err := startEcho(v, loops)
	if err != nil {
		return nil, err
	}
	samples := make([]time.Duration, clients*trips)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = pingpongClient(srv.addr(), warm, size, samples[i*trips:(i+1)*trips])
		}()
	}
	wg.Wait()
	return samples, errors.Join(errors.Join(errs...), srv.close())
}

// pingpongClient dials addr and fills rtts with timed round trips of size
// bytes, after warm untimed ones.
func pingpongClient(addr string, warm, size int, rtts []time.Duration) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(time.Minute)); err != nil {
		return err
	}
	msg, buf := make([]byte, size), make([]byte, size)
	for i := range warm + len(rtts) {
		start := time.Now()
		if _, err := c.Write(msg); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
		if i >= warm {
			rtts[i-warm] = time.Since(start)
		}
	}
	return nil
}
