package main

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/rawnet/rawnet/bench"
)

// loadBar draws one run's progress: the phase, a bar over the measured
// time, and the current rate.
type loadBar struct {
	p       *mpb.Progress
	bar     *mpb.Bar
	total   int64
	status  atomic.Value // string
	lastSet int64
}

// newLoadBar starts a progress display on w for a run of cfg.
func newLoadBar(w io.Writer, cfg bench.Config) *loadBar {
	b := &loadBar{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(200*time.Millisecond))}
	b.total = int64(cfg.Duration / time.Millisecond)
	if cfg.Count > 0 {
		b.total = int64(cfg.Count * max(cfg.Conns, 1))
	}
	b.status.Store("connecting")
	b.bar = b.p.AddBar(b.total,
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return b.status.Load().(string) }, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Percentage()),
	)
	return b
}

// update takes a progress report from the load generator.
func (b *loadBar) update(p bench.Progress) {
	b.status.Store(fmt.Sprintf("%-7s %6d conns %10.0f msgs/s %10d msgs", p.Phase, p.Connected, p.Rate, p.Messages))
	var cur int64
	switch {
	case p.Duration == 0:
		cur = int64(p.Messages)
	case p.Elapsed > 0:
		cur = int64(p.Elapsed / time.Millisecond)
	}
	cur = min(cur, b.total)
	if cur > b.lastSet {
		b.bar.SetCurrent(cur)
		b.lastSet = cur
	}
}

// finish completes or aborts the bar and waits for the display to end.
func (b *loadBar) finish(ok bool) {
	if ok {
		b.bar.SetCurrent(b.total)
	} else {
		b.bar.Abort(false)
	}
	b.p.Wait()
}
