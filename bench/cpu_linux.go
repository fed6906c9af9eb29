package bench

// cpuWindow samples the process's CPU time at the start and end of the
// measurement, with the wall clock at each sample.
type cpuWindow struct {
	wall0, wall1 int64
	user0, user1 int64
	sys0, sys1   int64
	ok           bool
}

// begin takes the first sample.
func (c *cpuWindow) begin(ctl *control, hook func(bool)) {
	if hook != nil {
		hook(false)
	}
	u, s, err := cpuTime()
	c.user0, c.sys0, c.wall0, c.ok = u, s, ctl.clock.now(), err == nil
}

// end takes the second sample.
func (c *cpuWindow) end(ctl *control, hook func(bool)) {
	if hook != nil {
		defer hook(true)
	}
	u, s, err := cpuTime()
	c.user1, c.sys1, c.wall1 = u, s, ctl.clock.now()
	c.ok = c.ok && err == nil
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
	out.Bound = out.Utilization >= ClientBoundAt
	return out
}
