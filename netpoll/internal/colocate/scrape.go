package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/spf13/pflag"
)

// scrape serves an echo server of each variant and a metrics page, and
// times GETs of the page while echo-bench, in its own process, loads the
// echo server. With --variants the server and the page, a net/http
// handler rendering the server's counters at request time, run in this
// process, and a goroutine of this process GETs the page every --interval
// over one keep-alive connection. With --bins each variant is instead an
// echo-tcp binary, started with --engine epoll and --metrics-addr, pinned
// to --server-cpus with GOMAXPROCS set to their number as echo-bench
// matrix starts servers, and the GETs, still from this process, reach
// the binary's own /metrics.
func scrape(args []string) error {
	fs := pflag.NewFlagSet("scrape", pflag.ContinueOnError)
	list := fs.String("variants", "syscall,park", "in-process server variants, comma separated: syscall, syscall-unlocked, park, park-locked, net")
	bins := fs.String("bins", "", "binary variants instead, comma separated NAME=DIR, each DIR holding an echo-tcp")
	serverCPUs := fs.String("server-cpus", "", "CPUs to pin --bins servers to, e.g. 1 (GOMAXPROCS follows)")
	base := fs.String("ratio-to", "", "variant the p99 ratios are taken against (default the first)")
	loops := fs.Int("loops", runtime.GOMAXPROCS(0), "netpoll loops of in-process variants (default GOMAXPROCS)")
	bin := fs.String("load-bin", "bin/echo-bench", "the echo-bench binary that loads the echo server")
	cpus := fs.String("load-cpus", "", "CPUs to pin echo-bench to (its --cpus), e.g. 0")
	conns := fs.Int("conns", 50, "load connections; 0 runs no load, for the idle case")
	depth := fs.Int("depth", 16, "messages in flight per load connection")
	size := fs.Int("size", 64, "load message size in bytes")
	dur := fs.Duration("duration", 10*time.Second, "measured time per run")
	warm := fs.Duration("warmup", time.Second, "load before the GETs begin")
	every := fs.Duration("interval", 10*time.Millisecond, "time between the starts of two GETs")
	fifo := fs.Int("get-fifo", 0, "GET from a child process at this SCHED_FIFO priority (1-99; needs root), so the client's own wait for a CPU is left out; 0 GETs from this process")
	rounds := fs.Int("rounds", 3, "rounds; each runs every variant once, the order rotating")
	out := fs.String("csv", "", "write every run to this CSV file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var vs []variant
	var err error
	if *bins != "" {
		vs, err = parseBins(*bins)
	} else {
		vs, err = parseVariants(*list)
	}
	if err != nil {
		return err
	}
	fmt.Printf("scrape: GOMAXPROCS=%d NumCPU=%d loops=%d server-cpus %q; load: %d conns x depth %d x %d B from %s (cpus %q), %v after %v warmup; GET every %v (SCHED_FIFO %d, 0: none); rounds=%d %s; load average %s\n",
		runtime.GOMAXPROCS(0), runtime.NumCPU(), *loops, *serverCPUs, *conns, *depth, *size, *bin, *cpus, *dur, *warm, *every, *fifo, *rounds, runtime.Version(), loadavg())
	cols := []string{"load_msgs_per_sec"}
	var results []result
	for round := 1; round <= *rounds; round++ {
		for _, v := range rotate(vs, round-1) {
			l := load{bin: *bin, cpus: *cpus, conns: *conns, depth: *depth, size: *size, dur: *dur, warm: *warm, getFIFO: *fifo}
			var t target
			if v.bin != "" {
				t, err = startBinary(v, *serverCPUs)
			} else {
				t, err = startInProcess(v, *loops)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", v.name, err)
			}
			samples, rate, err := scrapeRun(t, l, *every)
			if err != nil {
				return fmt.Errorf("%s: %w", v.name, err)
			}
			r := newResult(round, v.name, samples)
			r.extra = map[string]float64{"load_msgs_per_sec": rate}
			printRun(r, cols)
			results = append(results, r)
		}
	}
	fmt.Printf("load average at the end: %s\n", loadavg())
	summarize(os.Stdout, results, vs, *base)
	if *out != "" {
		return writeCSV(*out, results, cols)
	}
	return nil
}

// target is what a scrape run loads and GETs: an echo server's address
// and the URL of its metrics page.
type target struct {
	echo, url string
	stop      func() error
}

// startInProcess starts an echo server of variant v in this process and
// a metrics page for it.
func startInProcess(v variant, loops int) (target, error) {
	srv, err := startEcho(v, loops)
	if err != nil {
		return target{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return target{}, errors.Join(err, srv.close())
	}
	page := &http.Server{Handler: metricsPage(srv)}
	go func() { _ = page.Serve(ln) }()
	stop := func() error { return errors.Join(page.Close(), srv.close()) }
	return target{echo: srv.addr(), url: "http://" + ln.Addr().String() + "/metrics", stop: stop}, nil
}

// load describes the echo-bench run that loads the echo server.
type load struct {
	bin, cpus          string
	conns, depth, size int
	dur, warm          time.Duration
	// getFIFO, when not 0, makes the GETs a child's at that SCHED_FIFO
	// priority (getChild).
	getFIFO int
}

// scrapeRun runs the load against t and the GETs of its page, then stops
// t, and returns the GET latencies and the load's messages per second.
func scrapeRun(t target, l load, every time.Duration) (samples []time.Duration, rate float64, err error) {
	defer func() { err = errors.Join(err, t.stop()) }()
	tmp, err := os.MkdirTemp("", "colocate")
	if err != nil {
		return nil, 0, err
	}
	defer os.RemoveAll(tmp)
	report := filepath.Join(tmp, "load.json")
	done := make(chan error, 1)
	if l.conns > 0 {
		args := []string{"run", "--addr", t.echo, "--conns", strconv.Itoa(l.conns), "--depth", strconv.Itoa(l.depth),
			"--size", strconv.Itoa(l.size), "--duration", l.dur.String(), "--warmup", l.warm.String(), "-q", "--json", report}
		if l.cpus != "" {
			args = append(args, "--cpus", l.cpus)
		}
		cmd := exec.Command(l.bin, args...)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return nil, 0, err
		}
		go func() { done <- cmd.Wait() }()
	} else {
		go func() { time.Sleep(l.warm + l.dur); done <- nil }()
	}

	client := &http.Client{Timeout: 10 * time.Second}
	url := t.url
	// The GETs start once the load is past its warmup and stop when it
	// ends; a GET in flight then is still counted.
	time.Sleep(l.warm)
	if l.getFIFO != 0 {
		samples, err := getChild(l.getFIFO, url, every, l.dur)
		if err != nil {
			return nil, 0, errors.Join(err, <-done)
		}
		if err := <-done; err != nil {
			return nil, 0, fmt.Errorf("load: %w", err)
		}
		rate, err := loadRate(report, l.conns > 0)
		return samples, rate, err
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				return nil, 0, fmt.Errorf("load: %w", err)
			}
			client.CloseIdleConnections()
			rate, err := loadRate(report, l.conns > 0)
			return samples, rate, err
		case <-tick.C:
			d, err := get(client, url)
			if err != nil {
				return nil, 0, err
			}
			samples = append(samples, d)
		}
	}
}

// get times one GET of url, body included.
func get(c *http.Client, url string) (time.Duration, error) {
	start := time.Now()
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	err = errors.Join(err, resp.Body.Close())
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return time.Since(start), err
}

// metricsPage renders srv's counters as a Prometheus text page, from the
// counters the loops keep, at request time.
func metricsPage(srv echoServer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := srv.stats()
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		for _, m := range []struct {
			name string
			v    uint64
		}{
			{"accepted_total", st.Accepted}, {"rejected_total", st.Rejected},
			{"accept_errors_total", st.AcceptErrors}, {"active", uint64(max(st.Active, 0))},
			{"bytes_in_total", st.BytesIn}, {"bytes_out_total", st.BytesOut},
			{"backpressure_total", st.Backpressure}, {"idle_timeouts_total", st.IdleTimeouts},
			{"write_timeouts_total", st.WriteTimeouts}, {"close_timeouts_total", st.CloseTimeouts},
			{"io_errors_total", st.IOErrors}, {"datagrams_total", st.Datagrams},
		} {
			fmt.Fprintf(w, "# TYPE netpoll_%s counter\nnetpoll_%s %d\n", m.name, m.name, m.v)
		}
	})
}

// loadRate reads the load's messages per second from echo-bench's JSON
// report; 0 when there was no load.
func loadRate(path string, loaded bool) (float64, error) {
	if !loaded {
		return 0, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var r struct {
		MsgsPerSec float64 `json:"msgs_per_sec"`
	}
	err = json.Unmarshal(b, &r)
	return r.MsgsPerSec, err
}
