package bench

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"golang.org/x/sys/unix"
)

// workerOut is what a worker hands back when its loop ends.
type workerOut struct {
	w   *worker
	err error
}

// Run drives the server at cfg.Addr as cfg describes and returns what it
// measured. A verification failure (ErrMismatch), a lost TCP echo
// (ErrLost), any socket error or the end of ctx ends the run early with an
// error; the Result then holds what was measured before and the error
// text. The error is the first cause recorded, never the abort it made the
// other workers take (control.fail).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg, lay, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	server, err := resolve(cfg.Network, cfg.Addr)
	if err != nil {
		return nil, err
	}
	sources := cfg.sources(server)
	ctl := newControl(clock{epoch: time.Now()})

	workers := make([]*worker, cfg.Workers)
	lives := make([]live, cfg.Workers)
	for k := range workers {
		var ids []uint32
		for id := k; id < cfg.Conns; id += cfg.Workers {
			ids = append(ids, uint32(id))
		}
		w, err := newWorker(&cfg, lay, ctl, ids, &lives[k], k)
		if err != nil {
			for _, done := range workers[:k] {
				done.close()
			}
			return nil, err
		}
		workers[k] = w
	}

	var wg sync.WaitGroup
	readyCh := make(chan error, cfg.Workers)
	doneCh := make(chan workerOut, cfg.Workers)
	perWorkerRate := cfg.ConnectRate / float64(cfg.Workers)
	for k, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each worker owns one OS thread for its whole life: its
			// epoll set and timer slack are per thread, and a worker
			// that never migrates keeps its caches warm.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			defer w.close()
			w.tid = unix.Gettid()
			err := w.connect(server, sources, perWorkerRate, k)
			ctl.fail(err)
			readyCh <- err
			if err != nil {
				return
			}
			select {
			case <-ctl.goCh:
			case <-ctl.abortCh:
				doneCh <- workerOut{w, errAborted}
				return
			}
			err = w.loop()
			// Record the cause before reporting, so that Run finds
			// it however the reports are ordered.
			ctl.fail(err)
			doneCh <- workerOut{w, err}
			select {
			case <-ctl.closeCh:
			case <-ctl.abortCh:
			}
		}()
	}
	stopWatch := make(chan struct{})
	var watchers sync.WaitGroup
	watchers.Go(func() {
		select {
		case <-ctx.Done():
			ctl.fail(ctx.Err())
		case <-stopWatch:
		}
	})
	if cfg.Progress != nil {
		watchers.Go(func() { reportProgress(&cfg, ctl, lives, stopWatch) })
	}
	defer func() {
		close(stopWatch)
		watchers.Wait()
	}()

	connectErrs := make([]error, 0, len(workers))
	for range workers {
		connectErrs = append(connectErrs, <-readyCh)
	}
	if err := ctl.outcome(connectErrs); err != nil {
		wg.Wait()
		return nil, err
	}

	ctl.start = ctl.clock.now()
	if !cfg.StartAt.IsZero() {
		ctl.fail(startAt(ctl, cfg.StartAt))
	}
	cpu := cpuWindow{}
	for _, w := range workers {
		cpu.tids = append(cpu.tids, w.tid)
	}
	if cfg.Count > 0 {
		// Every message of a Count run is measured, so the window
		// (and Config.Window) opens before the first is sent.
		cpu.begin(ctl, cfg.Window)
		ctl.start = max(ctl.start, ctl.clock.now())
	}
	ctl.mStart = ctl.start + int64(cfg.Warmup)
	if cfg.Count == 0 {
		ctl.mEnd = ctl.mStart + int64(cfg.Duration)
	}
	var length time.Duration
	if cfg.Intervals != nil && cfg.Interval > 0 {
		length = cfg.Interval
		ctl.interval = int64(length)
	}
	iv := newIntervals(len(workers), ctl.clock.wall(ctl.mStart), length, cfg.Intervals)
	for _, w := range workers {
		w.iv = iv
	}
	close(ctl.goCh)

	if cfg.Count == 0 {
		sleepUntil(ctl, ctl.mStart)
		cpu.begin(ctl, cfg.Window)
		sleepUntil(ctl, ctl.mEnd)
		cpu.end(ctl, cfg.Window)
	}
	var outs []workerOut
	var loopErrs []error
	for range workers {
		out := <-doneCh
		outs = append(outs, out)
		loopErrs = append(loopErrs, out.err)
	}
	firstErr := ctl.outcome(loopErrs)
	if cfg.Count > 0 {
		cpu.end(ctl, cfg.Window)
	}
	end := windowEnd(&cfg, ctl, outs)
	iv.ending(ctl.clock.wall(end))
	for _, o := range outs {
		o.w.finishIntervals()
	}
	hist := iv.finish()
	if firstErr == nil && cfg.Hold != nil {
		firstErr = cfg.Hold(ctx)
	}
	close(ctl.closeCh)
	wg.Wait()

	res := tally(&cfg, ctl, outs, cpu, hist, end)
	if firstErr != nil {
		res.Error = firstErr.Error()
	}
	return res, firstErr
}

// resolve turns host:port into an address, looking names up if needed.
func resolve(network, addr string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap, nil
	}
	var ap netip.AddrPort
	if network == "udp" {
		a, err := net.ResolveUDPAddr("udp", addr)
		if err != nil {
			return ap, fmt.Errorf("bench: server address: %w", err)
		}
		return a.AddrPort(), nil
	}
	a, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return ap, fmt.Errorf("bench: server address: %w", err)
	}
	return a.AddrPort(), nil
}

// sleepUntil waits until the run clock reaches t or the run is aborted.
func sleepUntil(ctl *control, t int64) {
	d := time.Duration(t - ctl.clock.now())
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctl.abortCh:
	}
}

// startAt moves the start of traffic to the wall-clock time at, which
// Config.StartAt sets, and waits for it; it returns an error when the
// connections opened more than StartLate after it.
func startAt(ctl *control, at time.Time) error {
	// at carries no monotonic reading, so this is a wall-clock
	// difference (package time, "Monotonic Clocks"), taken from the
	// run clock's own reading so that the traffic starts at at exactly.
	wait := at.Sub(ctl.clock.wall(ctl.start))
	if wait < -StartLate {
		return fmt.Errorf("bench: the connections were open %v after the start time %s, too late to start with the others",
			(-wait).Round(time.Millisecond), at.Format(time.RFC3339Nano))
	}
	ctl.start += max(int64(wait), 0)
	sleepUntil(ctl, ctl.start)
	return nil
}

// windowEnd is when the measurement ended on the run clock: its planned
// end, or in Count mode the last echo's arrival.
func windowEnd(cfg *Config, ctl *control, outs []workerOut) int64 {
	if cfg.Count == 0 {
		return ctl.mEnd
	}
	var last int64
	for _, o := range outs {
		last = max(last, o.w.st.lastDone)
	}
	return max(last, ctl.start+1)
}

// tally combines the workers' counters and hist, the merge of their
// histograms, into the Result of a measurement that ended at end.
func tally(cfg *Config, ctl *control, outs []workerOut, cpu cpuWindow, hist *hdrhistogram.Histogram, end int64) *Result {
	res := &Result{
		Network:   cfg.Network,
		Addr:      cfg.Addr,
		Framing:   frameName(cfg),
		Conns:     cfg.Conns,
		Depth:     cfg.Depth,
		Rate:      cfg.Rate,
		Sizes:     cfg.Sizes.String(),
		Start:     ctl.clock.wall(ctl.mStart),
		Histogram: hist,
	}
	var udp UDPStats
	var jitter float64
	var sockets int
	for _, o := range outs {
		st := &o.w.st
		res.Messages += st.messages
		res.Bytes += st.bytes
		udp.Sent += st.udp.Sent
		udp.Received += st.udp.Received
		udp.Lost += st.udp.Lost
		udp.Late += st.udp.Late
		udp.Reordered += st.udp.Reordered
		udp.Duplicates += st.udp.Duplicates
		for i := range o.w.conns {
			jitter += o.w.conns[i].jitter
			sockets++
		}
	}
	res.Seconds = float64(end-ctl.mStart) / 1e9
	res.MsgsPerSec = float64(res.Messages) / res.Seconds
	res.MBPerSec = float64(res.Bytes) / res.Seconds / 1e6
	res.Latency = summarize(hist)
	if cfg.Network == "udp" {
		if udp.Sent > 0 {
			udp.LossPercent = 100 * float64(udp.Lost) / float64(udp.Sent)
		}
		if sockets > 0 {
			udp.JitterUs = jitter / float64(sockets) / 1e3
		}
		res.UDP = &udp
	}
	res.Client = cpu.result(cfg.Workers, res.MsgsPerSec)
	return res
}

// frameName names the framing the way the servers' --framing flag does,
// with its parameter.
func frameName(cfg *Config) string {
	lay, err := newLayout(cfg.Frame)
	if err != nil {
		return string(cfg.Frame.Kind)
	}
	switch {
	case lay.header > 0:
		return fmt.Sprintf("length/%d", lay.header)
	case lay.fixed > 0:
		return fmt.Sprintf("fixed/%d", lay.fixed)
	}
	return string(lay.kind)
}
