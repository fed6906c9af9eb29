//go:build linux

package hostile

import (
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/rawnet/rawnet/engine"
)

// Starvation case shape: ping-pong connections, round trips each per
// phase, and the payload of a round trip.
const (
	pingers      = 8
	pingRounds   = 300
	pingSize     = 64
	floodChunk   = 64 << 10
	floodTimeout = 60 * time.Second
)

// starvationCase measures ping-pong round trips with the server idle,
// then while one connection floods it at full speed (reading its echo,
// so backpressure does not stop it). The ping-pongers must all complete
// within floodTimeout; the ratio of the two p99 latencies is recorded,
// not asserted: with the server, the flood and the ping-pongers sharing
// one Go scheduler, the scheduler sets the tail more than the engine
// does. starvation/process (case_flood_test.go) measures the engines as
// they are deployed, and asserts.
func starvationCase(t tb, x *env) {
	srv := start(t, x, engine.Config{})
	addr := srv.Addr().String()
	conns := make([]net.Conn, pingers)
	for i := range conns {
		conns[i] = dial(t, addr)
	}
	idle, err := pingPong(conns, time.Now().Add(floodTimeout))
	if err != nil {
		t.Fatalf("ping-pong on an idle server: %v", err)
	}
	flood := dial(t, addr)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	var flooded int64
	go func() {
		defer wg.Done()
		buf := make([]byte, floodChunk)
		for {
			select {
			case <-stop:
				flood.CloseWrite()
				return
			default:
			}
			flood.SetWriteDeadline(time.Now().Add(patience))
			n, err := flood.Write(buf)
			flooded += int64(n)
			if err != nil {
				t.Errorf("flood write: %v", err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		flood.SetReadDeadline(time.Now().Add(floodTimeout + patience))
		io.Copy(io.Discard, flood)
	}()
	// Let the flood reach full speed before measuring.
	waitFor(t, "flood not flowing", func() bool { return srv.Stats().BytesOut > 16<<20 })
	loaded, err := pingPong(conns, time.Now().Add(floodTimeout))
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("ping-pong while one connection floods: %v", err)
	}
	p99idle, p99loaded := p99(idle), p99(loaded)
	x.note(t, "p99 %v idle, %v under flood: factor %.1f; flood sent %d MiB",
		p99idle.Round(time.Microsecond), p99loaded.Round(time.Microsecond),
		float64(p99loaded)/float64(max(p99idle, time.Microsecond)), flooded>>20)
}

// pingPong runs pingRounds round trips on every conn at once and returns
// all their latencies, or the first error; every read and write must
// finish by deadline.
func pingPong(conns []net.Conn, deadline time.Time) ([]time.Duration, error) {
	var mu sync.Mutex
	var all []time.Duration
	errs := make(chan error, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SetDeadline(deadline)
			msg := make([]byte, pingSize)
			got := make([]byte, pingSize)
			lat := make([]time.Duration, 0, pingRounds)
			for r := range pingRounds {
				msg[0], msg[1] = byte(i), byte(r)
				began := time.Now()
				if _, err := c.Write(msg); err != nil {
					errs <- fmt.Errorf("ping-ponger %d round %d: %w", i, r, err)
					return
				}
				if _, err := io.ReadFull(c, got); err != nil {
					errs <- fmt.Errorf("ping-ponger %d round %d: %w", i, r, err)
					return
				}
				lat = append(lat, time.Since(began))
				if string(got) != string(msg) {
					errs <- fmt.Errorf("ping-ponger %d round %d: echo differs", i, r)
					return
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	return all, <-errs
}

// p99 returns the 99th percentile of d.
func p99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*99/100)]
}
