package bench

import "time"

// reportProgress calls cfg.Progress every cfg.ProgressInterval until stop
// is closed.
func reportProgress(cfg *Config, ctl *control, lives []live, stop <-chan struct{}) {
	ticker := time.NewTicker(cfg.ProgressInterval)
	defer ticker.Stop()
	var lastMsgs uint64
	lastAt := time.Now()
	started := false
	for {
		select {
		case <-stop:
			return
		case <-ticker.C:
		}
		var p Progress
		for i := range lives {
			p.Connected += int(lives[i].connected.Load())
			p.Messages += lives[i].messages.Load()
		}
		now := time.Now()
		if p.Messages >= lastMsgs {
			p.Rate = float64(p.Messages-lastMsgs) / now.Sub(lastAt).Seconds()
		}
		lastMsgs, lastAt = p.Messages, now
		p.Phase = "connect"
		select {
		case <-ctl.goCh:
			started = true
		default:
		}
		if started {
			t := ctl.clock.now()
			p.Elapsed = time.Duration(t - ctl.mStart)
			switch {
			case cfg.Count > 0:
				p.Phase = "measure"
			case t < ctl.mStart:
				p.Phase = "warmup"
			case t < ctl.mEnd:
				p.Phase = "measure"
				p.Duration = cfg.Duration
			default:
				p.Phase = "drain"
				p.Duration = cfg.Duration
			}
			if cfg.Count == 0 {
				p.Duration = cfg.Duration
			}
		}
		cfg.Progress(p)
	}
}
