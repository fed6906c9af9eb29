package bench

// cpuWindow samples the process's CPU time, and the time the worker
// threads tids waited for a CPU, at the start and end of the measurement,
// with the wall clock at each sample.
type cpuWindow struct {
	tids         []int
	wall0, wall1 int64
	user0, user1 int64
	sys0, sys1   int64
	wait0, wait1 int64
	ok, waitOK   bool
}

// begin takes the first sample.
func (c *cpuWindow) begin(ctl *control, hook func(bool)) {
	if hook != nil {
		hook(false)
	}
	u, s, err := cpuTime()
	c.wait0, c.waitOK = runWait(c.tids)
	c.user0, c.sys0, c.wall0, c.ok = u, s, ctl.clock.now(), err == nil
}

// end takes the second sample.
func (c *cpuWindow) end(ctl *control, hook func(bool)) {
	if hook != nil {
		defer hook(true)
	}
	u, s, err := cpuTime()
	w, ok := runWait(c.tids)
	c.user1, c.sys1, c.wait1, c.wall1 = u, s, w, ctl.clock.now()
	c.ok = c.ok && err == nil
	c.waitOK = c.waitOK && ok
}

// result turns the samples into a ClientCPU for a run that used cores
// worker threads and echoed msgsPerSec.
func (c *cpuWindow) result(cores int, msgsPerSec float64) ClientCPU {
	wall := float64(c.wall1 - c.wall0)
	if !c.ok || wall <= 0 {
		return ClientCPU{Cores: cores}
	}
	user := float64(c.user1-c.user0) / 1e9
	sys := float64(c.sys1-c.sys0) / 1e9
	out := ClientCPU{UserSec: user, SysSec: sys, Cores: cores}
	perSec := (user + sys) / (wall / 1e9)
	out.Utilization = perSec / float64(cores)
	if msgsPerSec > 0 {
		out.UsPerMsg = perSec / msgsPerSec * 1e6
	}
	if c.waitOK {
		out.WaitSec = float64(c.wait1-c.wait0) / 1e9
		out.Waiting = out.WaitSec / (wall / 1e9) / float64(cores)
	}
	out.Bound = out.bound()
	return out
}
