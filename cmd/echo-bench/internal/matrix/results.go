package matrix

import "github.com/rawnet/rawnet/bench"

// Results is everything a matrix measured.
type Results struct {
	// Meta describes the machine and the run.
	Meta Meta `json:"meta"`
	// Engines lists the servers that ran, in report order.
	Engines []EngineInfo `json:"engines"`
	// Idle holds the idle-connection memory phase, one per TCP engine.
	Idle []IdleResult `json:"idle,omitempty"`
	// Summaries hold one row per cell and engine: medians and spreads.
	Summaries []Summary `json:"summaries"`
	// Runs hold every run, in the order they ran.
	Runs []RunResult `json:"runs"`
	// Notes explain what was skipped or went wrong.
	Notes []string `json:"notes,omitempty"`
}

// Meta describes the machine and the matrix.
type Meta struct {
	Start      string   `json:"start"`
	Seconds    float64  `json:"seconds"`
	Command    string   `json:"command,omitempty"`
	Host       string   `json:"host"`
	Kernel     string   `json:"kernel"`
	CPU        string   `json:"cpu"`
	CPUs       int      `json:"cpus"`
	GoVersion  string   `json:"go_version"`
	ServerCPUs string   `json:"server_cpus"`
	ClientCPUs string   `json:"client_cpus"`
	Duration   float64  `json:"duration_sec"`
	Warmup     float64  `json:"warmup_sec"`
	Repeats    int      `json:"repeats"`
	Baseline   string   `json:"baseline"`
	Reference  string   `json:"reference,omitempty"`
	Cells      []Cell   `json:"cells"`
	EngineList []string `json:"engine_names"`
	// Works is the work axis in order (Config.Works); empty without one.
	Works []string `json:"works,omitempty"`
	// References lists every C reference server that ran: Reference,
	// the C epoll ceiling every engine's ratio is taken against, and
	// curing, the io_uring one. They are ceilings, not models.
	References []string `json:"references,omitempty"`
}

// EngineInfo describes one server process.
type EngineInfo struct {
	Name    string `json:"name"`
	Network string `json:"network"`
	// Work is the --work the server ran, "" without a work axis.
	Work string `json:"work,omitempty"`
	// Listen is the server's first line, with its socket options.
	Listen string `json:"listen"`
	// Exit is what the server printed at shutdown.
	Exit []string `json:"exit,omitempty"`
	// Error says how the server failed, if it did.
	Error string `json:"error,omitempty"`
}

// ServerMetrics is what the server process spent during one measurement,
// read from /proc.
type ServerMetrics struct {
	// CPUUsPerMsg is server CPU microseconds per echoed message.
	CPUUsPerMsg float64 `json:"cpu_us_per_msg"`
	// CPUUtil is server CPU seconds per second (1 = one core busy).
	CPUUtil float64 `json:"cpu_util"`
	// SyscallsPerMsg is read plus write syscalls per message.
	SyscallsPerMsg float64 `json:"syscalls_per_msg"`
	// AllSyscallsPerMsg and SwitchesPerMsg are every system call and
	// every context switch per message, from counting runs only.
	AllSyscallsPerMsg float64 `json:"all_syscalls_per_msg,omitempty"`
	SwitchesPerMsg    float64 `json:"ctx_switches_per_msg,omitempty"`
	// RSS is resident memory at the end of the measurement; HWM the
	// process's peak so far.
	RSS int64 `json:"rss_bytes"`
	HWM int64 `json:"hwm_bytes"`
	// Threads is the thread count at the end of the measurement.
	Threads int `json:"threads"`
}

// RunResult is one engine on one cell, one repeat.
type RunResult struct {
	Cell   Cell   `json:"cell"`
	Engine string `json:"engine"`
	Repeat int    `json:"repeat"`
	// Position is where in its block the run came (0 = first).
	Position int `json:"position"`
	// Counted marks a counting run: only its syscall and context
	// switch figures are summarised. NotCounted says why a counting run
	// could not count; it then adds nothing to the summary.
	Counted    bool          `json:"counted,omitempty"`
	NotCounted string        `json:"not_counted,omitempty"`
	Client     *bench.Result `json:"client,omitempty"`
	Server     ServerMetrics `json:"server"`
	Error      string        `json:"error,omitempty"`
}

// Summary is one engine on one cell over its repeats.
type Summary struct {
	Cell   Cell   `json:"cell"`
	Engine string `json:"engine"`
	// MsgsPerSec, MBPerSec and the latency percentiles (µs) come from the
	// client.
	MsgsPerSec Stat `json:"msgs_per_sec"`
	MBPerSec   Stat `json:"mb_per_sec"`
	P50        Stat `json:"p50_us"`
	P90        Stat `json:"p90_us"`
	P99        Stat `json:"p99_us"`
	P999       Stat `json:"p999_us"`
	Max        Stat `json:"max_us"`
	// ServerUsPerMsg, ServerUtil and SyscallsPerMsg come from the server.
	ServerUsPerMsg Stat `json:"server_cpu_us_per_msg"`
	ServerUtil     Stat `json:"server_cpu_util"`
	SyscallsPerMsg Stat `json:"syscalls_per_msg"`
	// AllSyscallsPerMsg and SwitchesPerMsg come from the counting runs
	// (Config.CountSyscalls); N is 0 without them.
	AllSyscallsPerMsg Stat `json:"all_syscalls_per_msg"`
	SwitchesPerMsg    Stat `json:"ctx_switches_per_msg"`
	// RSS is the largest resident set seen at the end of a run; Threads
	// the most threads.
	RSS     int64 `json:"rss_bytes"`
	Threads int   `json:"threads"`
	// ClientUsPerMsg is the client's CPU per message; ClientBound counts
	// runs the client's cores were saturated in.
	ClientUsPerMsg Stat `json:"client_cpu_us_per_msg"`
	ClientBound    int  `json:"client_bound_runs"`
	// UDPLossPct is the median datagram loss, for UDP cells.
	UDPLossPct Stat `json:"udp_loss_pct"`
	// Errors counts failed runs; Error is the first failure.
	Errors int    `json:"errors"`
	Error  string `json:"error,omitempty"`
}

// IdleResult is the memory an engine spends per idle connection.
type IdleResult struct {
	Engine string `json:"engine"`
	Conns  int    `json:"conns"`
	// RSSBefore and RSSAfter are server RSS before connecting and with
	// every connection open after one echo each.
	RSSBefore int64 `json:"rss_before_bytes"`
	RSSAfter  int64 `json:"rss_after_bytes"`
	// BytesPerConn is (RSSAfter - RSSBefore) / Conns.
	BytesPerConn float64 `json:"bytes_per_conn"`
	// Threads is the server's thread count with the connections open.
	Threads int `json:"threads"`
	// SettleSeconds is how long the connections were held idle, after
	// their echoes, before RSSAfter was read (Config.IdleSettle).
	SettleSeconds float64 `json:"settle_s,omitempty"`
	Error         string  `json:"error,omitempty"`
}

// Summary returns the summary of cell for engine, if there is one.
func (r *Results) Summary(cell Cell, engine string) (Summary, bool) {
	for _, s := range r.Summaries {
		if s.Cell == cell && s.Engine == engine {
			return s, true
		}
	}
	return Summary{}, false
}

// Summarize folds runs into one Summary per cell and engine, cells in
// order and engines in the order given.
func Summarize(cells []Cell, engines []string, runs []RunResult) []Summary {
	var out []Summary
	for _, cell := range cells {
		for _, e := range engines {
			var rs []RunResult
			for _, r := range runs {
				if r.Cell == cell && r.Engine == e {
					rs = append(rs, r)
				}
			}
			if len(rs) == 0 {
				continue
			}
			out = append(out, summarizeRuns(cell, e, rs))
		}
	}
	return out
}

// summarizeRuns folds one cell's runs of one engine.
func summarizeRuns(cell Cell, engine string, all []RunResult) Summary {
	s := Summary{Cell: cell, Engine: engine}
	var rs, counted []RunResult
	for _, r := range all {
		if r.Counted {
			counted = append(counted, r)
		} else {
			rs = append(rs, r)
		}
	}
	pickCounted := func(f func(RunResult) float64) Stat {
		var vs []float64
		for _, r := range counted {
			if r.Error == "" && r.Client != nil && r.NotCounted == "" {
				vs = append(vs, f(r))
			}
		}
		return NewStat(vs)
	}
	s.AllSyscallsPerMsg = pickCounted(func(r RunResult) float64 { return r.Server.AllSyscallsPerMsg })
	s.SwitchesPerMsg = pickCounted(func(r RunResult) float64 { return r.Server.SwitchesPerMsg })
	pick := func(f func(RunResult) float64) Stat {
		var vs []float64
		for _, r := range rs {
			if r.Error == "" && r.Client != nil {
				vs = append(vs, f(r))
			}
		}
		return NewStat(vs)
	}
	s.MsgsPerSec = pick(func(r RunResult) float64 { return r.Client.MsgsPerSec })
	s.MBPerSec = pick(func(r RunResult) float64 { return r.Client.MBPerSec })
	s.P50 = pick(func(r RunResult) float64 { return r.Client.Latency.P50 })
	s.P90 = pick(func(r RunResult) float64 { return r.Client.Latency.P90 })
	s.P99 = pick(func(r RunResult) float64 { return r.Client.Latency.P99 })
	s.P999 = pick(func(r RunResult) float64 { return r.Client.Latency.P999 })
	s.Max = pick(func(r RunResult) float64 { return r.Client.Latency.Max })
	s.ServerUsPerMsg = pick(func(r RunResult) float64 { return r.Server.CPUUsPerMsg })
	s.ServerUtil = pick(func(r RunResult) float64 { return r.Server.CPUUtil })
	s.SyscallsPerMsg = pick(func(r RunResult) float64 { return r.Server.SyscallsPerMsg })
	s.ClientUsPerMsg = pick(func(r RunResult) float64 { return r.Client.Client.UsPerMsg })
	if cell.Network == "udp" {
		s.UDPLossPct = pick(func(r RunResult) float64 {
			if r.Client.UDP == nil {
				return 0
			}
			return r.Client.UDP.LossPercent
		})
	}
	for _, r := range all {
		if r.Error != "" {
			s.Errors++
			if s.Error == "" {
				s.Error = r.Error
			}
			continue
		}
		if r.Counted {
			continue
		}
		s.RSS = max(s.RSS, r.Server.RSS)
		s.Threads = max(s.Threads, r.Server.Threads)
		if r.Client != nil && r.Client.Client.Bound {
			s.ClientBound++
		}
	}
	return s
}
