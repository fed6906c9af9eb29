//go:build linux

package hostile

import (
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/all"
	"github.com/rawnet/rawnet/frame"
)

// soakSample is one look at the test process during a soak.
type soakSample struct {
	at              time.Duration
	heap, rss       int64
	goroutines, fds int
}

// Soak tolerances: how much each measure may grow over the measured part
// of the soak, read off a least-squares line through the samples so that
// the noise of a busy moment does not count as growth.
const (
	soakHeapSlack = 16 << 20
	soakRSSSlack  = 64 << 20
	soakGSlack    = 64
	soakFDSlack   = 64
)

// TestSoak runs mixed clients against every engine for RAWNET_SOAK (a
// duration per engine, such as 60s) and samples heap, RSS, goroutines and
// descriptors every few seconds: after a warm-up quarter, none may trend
// upwards beyond its tolerance. Without RAWNET_SOAK it is skipped.
func TestSoak(t *testing.T) {
	v := os.Getenv("RAWNET_SOAK")
	if v == "" {
		t.Skip("RAWNET_SOAK=duration runs the soak (per engine)")
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 4*time.Second {
		t.Fatalf("RAWNET_SOAK=%q: want a duration of at least 4s", v)
	}
	for _, name := range all.Names() {
		t.Run(name, func(t *testing.T) {
			e, _ := all.Lookup(name)
			cl := record("soak "+v, name)
			t.Cleanup(func() { cl.settle(t) })
			soak(t, &env{eng: e, name: name, cell: cl}, d)
		})
	}
}

// soak runs the mixed clients against x's engine for d and checks the
// trend of the samples.
func soak(t *testing.T, x *env, d time.Duration) {
	srv := start(t, x, engine.Config{
		Frame:        frame.Spec{Kind: frame.KindLength, LengthBytes: 4},
		WriteLimit:   256 << 10,
		WriteTimeout: time.Second,
		IdleTimeout:  5 * time.Second,
		// The clients provoke warnings by the thousand on purpose.
		Logger: slog.New(slog.DiscardHandler),
	})
	addr := srv.Addr().String()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, client := range []func(string, <-chan struct{}) error{
		soakPinger, soakPinger, soakPinger, soakPinger,
		soakBulk, soakChurner, soakSlowReader, soakBadFrames,
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := client(addr, stop); err != nil {
				t.Errorf("soak client: %v", err)
			}
		}()
	}
	every := max(time.Second, d/30)
	var samples []soakSample
	began := time.Now()
	tick := time.NewTicker(every)
	for time.Since(began) < d {
		<-tick.C
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		samples = append(samples, soakSample{
			at: time.Since(began), heap: int64(m.HeapAlloc), rss: rss(os.Getpid()),
			goroutines: runtime.NumGoroutine(), fds: countFDs(os.Getpid()),
		})
	}
	tick.Stop()
	close(stop)
	wg.Wait()
	measured := samples[len(samples)/4:]
	window := (measured[len(measured)-1].at - measured[0].at).Seconds()
	trend := func(f func(soakSample) float64) float64 { return slope(measured, f) * window }
	heap := trend(func(s soakSample) float64 { return float64(s.heap) })
	rssG := trend(func(s soakSample) float64 { return float64(s.rss) })
	gor := trend(func(s soakSample) float64 { return float64(s.goroutines) })
	fds := trend(func(s soakSample) float64 { return float64(s.fds) })
	s := srv.Stats()
	x.note(t, "%v: %d frames, %d connections; trend over %.0fs: heap %+.1f MiB, RSS %+.1f MiB, goroutines %+.0f, fds %+.0f",
		d, s.Frames, s.Accepted, window, heap/(1<<20), rssG/(1<<20), gor, fds)
	for _, c := range []struct {
		what        string
		grew, slack float64
	}{
		{"live heap", heap, soakHeapSlack},
		{"RSS", rssG, soakRSSSlack},
		{"goroutines", gor, soakGSlack},
		{"descriptors", fds, soakFDSlack},
	} {
		if c.grew > c.slack {
			t.Errorf("%s trends up by %.0f over %.0fs of soak (tolerance %.0f): samples %v", c.what, c.grew, window, c.slack, measured)
		}
	}
}

// slope is the least-squares slope of f over the samples, per second.
func slope(s []soakSample, f func(soakSample) float64) float64 {
	n := float64(len(s))
	var sx, sy, sxx, sxy float64
	for _, p := range s {
		x, y := p.at.Seconds(), f(p)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den
}

// stopped reports whether stop is closed.
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// soakPinger makes small round trips on one connection until stop.
func soakPinger(addr string, stop <-chan struct{}) error {
	c, err := net.DialTimeout("tcp", addr, patience)
	if err != nil {
		return err
	}
	defer c.Close()
	f := lengthFrame([]byte("soak ping"))
	for !stopped(stop) {
		if err := echo(c, f); err != nil {
			return fmt.Errorf("pinger: %w", err)
		}
	}
	return nil
}

// soakBulk streams 64 KiB frames and reads them back until stop.
func soakBulk(addr string, stop <-chan struct{}) error {
	c, err := net.DialTimeout("tcp", addr, patience)
	if err != nil {
		return err
	}
	defer c.Close()
	f := lengthFrame(make([]byte, frame.DefaultMax-4))
	for !stopped(stop) {
		if err := echo(c, f); err != nil {
			return fmt.Errorf("bulk: %w", err)
		}
	}
	return nil
}

// soakChurner opens, uses and closes connections until stop, closing
// some with a reset.
func soakChurner(addr string, stop <-chan struct{}) error {
	for n := 0; !stopped(stop); n++ {
		c, err := net.DialTimeout("tcp", addr, patience)
		if err != nil {
			return fmt.Errorf("churner: %w", err)
		}
		err = echo(c, tagged(7, uint32(n)))
		if n%2 == 0 {
			lingerReset(c.(*net.TCPConn))
		} else {
			c.Close()
		}
		if err != nil {
			return fmt.Errorf("churner: %w", err)
		}
	}
	return nil
}

// soakSlowReader opens a connection, fills it without reading until the
// server stops reading (or 4 MiB are sent: the soak looks for leaks, the
// backpressure cases for unbounded buffering), waits for the write
// timeout to close it, and starts over until stop.
func soakSlowReader(addr string, stop <-chan struct{}) error {
	chunk := lengthFrame(make([]byte, 32<<10))
	for !stopped(stop) {
		c, err := net.DialTimeout("tcp", addr, patience)
		if err != nil {
			return fmt.Errorf("slow reader: %w", err)
		}
		fillUntilBlocked(c, chunk, 4<<20, 300*time.Millisecond)
		// Wait for the server to give up on it: the connection ends
		// (a read then drains what was echoed and hits the end).
		c.SetReadDeadline(time.Now().Add(patience))
		io.Copy(io.Discard, c)
		c.Close()
	}
	return nil
}

// soakBadFrames sends a valid frame and then a header over the limit on
// fresh connections until stop.
func soakBadFrames(addr string, stop <-chan struct{}) error {
	for !stopped(stop) {
		c, err := net.DialTimeout("tcp", addr, patience)
		if err != nil {
			return fmt.Errorf("bad frames: %w", err)
		}
		var hdr [4]byte
		binary.BigEndian.PutUint32(hdr[:], 0xFFFFFFF0)
		err = echo(c, lengthFrame([]byte("ok")))
		if err == nil {
			c.Write(hdr[:])
			readToEnd(c, patience)
		}
		c.Close()
		if err != nil {
			return fmt.Errorf("bad frames: %w", err)
		}
		time.Sleep(10 * time.Millisecond) // pacing, not synchronisation
	}
	return nil
}
