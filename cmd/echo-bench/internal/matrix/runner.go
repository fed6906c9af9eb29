package matrix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/proc"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/server"
)

// Baseline is the engine every other is compared with.
const Baseline = "std"

// runner holds a matrix while it runs.
type runner struct {
	cfg     Config
	res     *Results
	servers map[string]*server.Process // by network + "/" + engine
	work    string                     // the --work the servers run now
	done    int
	total   int
}

// Run runs the matrix cfg describes and returns what it measured. Runs
// that fail (verification errors, a server that died) are recorded in the
// results and counted; Run returns an error only when the matrix cannot
// run at all, or when ctx ends it.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m := &runner{cfg: cfg, res: &Results{}, servers: map[string]*server.Process{}}
	start := time.Now()
	m.res.Meta = meta(cfg, start)
	if err := m.prepareClient(); err != nil {
		return nil, err
	}
	tcpEngines, udpEngines, err := m.engines(ctx)
	if err != nil {
		return nil, err
	}
	if err := m.checkWorks(ctx); err != nil {
		return nil, err
	}
	names := slices.Clone(tcpEngines)
	for _, e := range udpEngines {
		if !slices.Contains(names, e) {
			names = append(names, e)
		}
	}
	m.res.Meta.EngineList = names
	m.res.Meta.Works = cfg.Works

	base := Cells("tcp", cfg.Conns, cfg.Sizes, cfg.Depths)
	if len(udpEngines) > 0 {
		base = append(base, Cells("udp", cfg.UDPConns, []int{cfg.UDPSize}, cfg.UDPDepths)...)
	}
	cells := WithWorks(cfg.Works, base)
	m.res.Meta.Cells = cells
	// Until the servers of a work are up, every engine counts as
	// running its cells; plan corrects the total for those that did not
	// start.
	m.total = len(m.plan(cells, names, func(c Cell, e string) bool {
		return c.Network == "udp" && !slices.Contains(udpEngines, e)
	}))
	if cfg.IdleConns > 0 {
		m.total += len(tcpEngines)
	}
	defer m.stopAll(context.WithoutCancel(ctx))
	works := cfg.Works
	if len(works) == 0 {
		works = []string{""}
	}
	for i, w := range works {
		if err := m.startAll(tcpEngines, udpEngines, w); err != nil {
			return m.res, err
		}
		if i == 0 && cfg.IdleConns > 0 {
			if err := m.idlePhase(ctx, tcpEngines); err != nil {
				return m.res, err
			}
		}
		var group []Cell
		for _, c := range cells {
			if c.Work == w {
				group = append(group, c)
			}
		}
		planned := len(m.plan(group, names, func(c Cell, e string) bool {
			return c.Network == "udp" && !slices.Contains(udpEngines, e)
		}))
		steps := m.plan(group, names, func(c Cell, e string) bool { return m.servers[c.Network+"/"+e] == nil })
		m.total += len(steps) - planned
		if err := m.runSteps(ctx, steps); err != nil {
			return m.res, err
		}
		m.stopAll(context.WithoutCancel(ctx))
	}
	m.res.Summaries = Summarize(cells, names, m.res.Runs)
	m.res.Meta.Seconds = time.Since(start).Seconds()
	return m.res, nil
}

// plan orders the runs of cells (Plan), leaving out the C reference
// from cells with work, which it cannot do, and the engines skip names,
// and adds the counting runs when the config asks for them.
func (m *runner) plan(cells []Cell, engines []string, skip func(Cell, string) bool) []Step {
	steps := Plan(cells, engines, m.cfg.Repeats, func(c Cell, e string) bool {
		return (isCReference(e) && HasWork(c.Work)) || skip(c, e)
	})
	if m.cfg.CountSyscalls {
		steps = WithCountRuns(steps)
	}
	return steps
}

// idlePhase runs the idle-connection memory phase on every TCP engine.
func (m *runner) idlePhase(ctx context.Context, engines []string) error {
	for _, e := range engines {
		if err := ctx.Err(); err != nil {
			return err
		}
		m.step("idle " + e)
		r := m.idle(ctx, m.servers["tcp/"+e])
		r.Engine = e
		if r.Error != "" {
			m.note("idle phase of %s: %s", e, r.Error)
		}
		m.res.Idle = append(m.res.Idle, r)
	}
	return nil
}

// runSteps runs steps in order and records each run.
func (m *runner) runSteps(ctx context.Context, steps []Step) error {
	position := 0
	for i, st := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if i > 0 && (steps[i-1].Cell != st.Cell || steps[i-1].Repeat != st.Repeat) {
			position = 0
		}
		label := fmt.Sprintf("%s %s #%d", st.Cell, st.Engine, st.Repeat+1)
		if st.Count {
			label = fmt.Sprintf("%s %s counting", st.Cell, st.Engine)
		}
		m.step(label)
		r := m.run(ctx, st)
		r.Position = position
		position++
		m.res.Runs = append(m.res.Runs, r)
		if r.Error != "" {
			m.note("%s on %s, repeat %d: %s", st.Engine, st.Cell, st.Repeat+1, r.Error)
		}
	}
	return nil
}

// step reports progress.
func (m *runner) step(label string) {
	if m.cfg.Progress != nil {
		m.cfg.Progress(Progress{Done: m.done, Total: m.total, Label: label})
	}
	m.done++
}

// note records an explanation in the results and the log.
func (m *runner) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	m.res.Notes = append(m.res.Notes, s)
	if m.cfg.Log != nil {
		fmt.Fprintln(m.cfg.Log, "note:", s)
	}
}

// prepareClient pins this process to the client CPUs, matches GOMAXPROCS
// to them and raises the open file limit for the largest phase, idle or
// cell; servers, started later, inherit the raised limit.
func (m *runner) prepareClient() error {
	if len(m.cfg.ClientCPUs) > 0 {
		if err := proc.PinSelf(m.cfg.ClientCPUs); err != nil {
			return err
		}
		runtime.GOMAXPROCS(len(m.cfg.ClientCPUs))
	}
	most := m.cfg.maxConns()
	got, err := proc.RaiseNoFile(uint64(most) + 4096)
	if err != nil {
		return err
	}
	if got < uint64(most)+64 {
		m.note("open file limit is %d: the phases of %d connections may fail", got, most)
	}
	return nil
}

// engines lists the TCP and UDP engines to run, building the C references
// that are wanted and can be built.
func (m *runner) engines(ctx context.Context) (tcp, udp []string, err error) {
	tcpBin := filepath.Join(m.cfg.BinDir, "echo-tcp")
	all, err := listEngines(ctx, tcpBin)
	if err != nil {
		return nil, nil, err
	}
	udpAll, err := listEngines(ctx, filepath.Join(m.cfg.BinDir, "echo-udp"))
	if err != nil {
		m.note("no UDP cells: %v", err)
	}
	want := m.cfg.Engines
	if want == nil {
		want = all
	}
	for _, e := range want {
		if isCReference(e) {
			continue
		}
		if !slices.Contains(all, e) {
			return nil, nil, fmt.Errorf("matrix: engine %q is not in %s --list-engines (%s)", e, tcpBin, strings.Join(all, ", "))
		}
		tcp = append(tcp, e)
		if slices.Contains(udpAll, e) && len(m.cfg.UDPConns) > 0 {
			udp = append(udp, e)
		}
	}
	for _, v := range m.cfg.Variants {
		if !slices.Contains(all, v.Engine) {
			return nil, nil, fmt.Errorf("matrix: variant %s: engine %q is not in %s --list-engines (%s)", v.Name, v.Engine, tcpBin, strings.Join(all, ", "))
		}
		tcp = append(tcp, v.Name)
		if slices.Contains(udpAll, v.Engine) && len(m.cfg.UDPConns) > 0 {
			udp = append(udp, v.Name)
		}
	}
	// The baseline first, so ratios read left to right in every table.
	slices.SortStableFunc(tcp, func(a, b string) int { return boolInt(b == Baseline) - boolInt(a == Baseline) })
	slices.SortStableFunc(udp, func(a, b string) int { return boolInt(b == Baseline) - boolInt(a == Baseline) })
	m.res.Meta.Baseline = Baseline
	for _, e := range m.buildCReferences(ctx) {
		tcp = append(tcp, e)
		if len(m.cfg.UDPConns) > 0 {
			// A reference serves UDP itself (--udp): it needs no
			// echo-udp.
			udp = append(udp, e)
		}
	}
	return tcp, udp, nil
}

// boolInt is 1 for true.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// listEngines asks a server binary which engines it has.
func listEngines(ctx context.Context, bin string) ([]string, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("matrix: %s not found: run `make build` first (%w)", bin, err)
	}
	out, err := exec.CommandContext(ctx, bin, "--list-engines").Output()
	if err != nil {
		return nil, fmt.Errorf("matrix: %s --list-engines: %w", bin, err)
	}
	names := strings.Fields(string(out))
	if len(names) == 0 {
		return nil, fmt.Errorf("matrix: %s --list-engines printed no engines", bin)
	}
	return names, nil
}

// threadSlack is spare room in the threads engine's pool beyond the
// connections a phase opens, for connections still closing from the
// phase before.
const threadSlack = 64

// maxConns is the most TCP connections any phase of the matrix opens.
func (c Config) maxConns() int {
	n := c.IdleConns
	for _, k := range c.Conns {
		n = max(n, k)
	}
	return n
}

// serverCommand returns the binary, arguments and extra environment that
// start engine's server for network with loops event loops and work
// (passed as --work unless it is "").
func (c Config) serverCommand(network, engine string, loops int, work string) (bin string, args, env []string) {
	if isCReference(engine) {
		args = []string{"--addr", "127.0.0.1:0"}
		if network == "udp" {
			args = append(args, "--udp")
			if c.UDPRecvBuf > 0 {
				args = append(args, "--rcvbuf", fmt.Sprint(c.UDPRecvBuf))
			}
		}
		return filepath.Join(c.BinDir, "echo-"+engine), args, nil
	}
	bin = filepath.Join(c.BinDir, "echo-"+network)
	v, isVariant := c.variant(engine)
	if isVariant {
		if v.BinDir != "" {
			bin = filepath.Join(v.BinDir, "echo-"+network)
		}
		engine, env = v.Engine, v.Env
	}
	args = []string{"--addr", "127.0.0.1:0", "--engine", engine, "--loops", fmt.Sprint(loops)}
	if network == "tcp" && !isVariant {
		// The threads engine serves one connection per thread; size its
		// pool for the largest phase so no connection waits in the
		// backlog. The other engines ignore --threads.
		args = append(args, "--threads", fmt.Sprint(c.maxConns()+threadSlack))
	}
	if network == "udp" && c.UDPRecvBuf > 0 {
		// Every engine gets the same receive buffer: with many datagrams
		// in flight the default (net.core.rmem_default) overflows, and
		// then the loss, not the engine, sets the pace.
		args = append(args, "--rcvbuf", fmt.Sprint(c.UDPRecvBuf))
	}
	if work != "" {
		args = append(args, "--work", work)
	}
	// A variant's own flags come last, so they win.
	return bin, append(args, v.Args...), env
}

// startAll starts one server per engine and network, all at once, each
// with work: idle servers sleep in epoll_wait or accept, and keeping them
// up lets every cell of the work run engine after engine within seconds.
// The C references, which have no handler work, start only for no work.
func (m *runner) startAll(tcp, udp []string, work string) error {
	if m.cfg.LogDir != "" {
		if err := os.MkdirAll(m.cfg.LogDir, 0o755); err != nil {
			return err
		}
	}
	m.work = work
	loops := max(len(m.cfg.ServerCPUs), 1)
	start := func(network, engine string) error {
		if isCReference(engine) && HasWork(work) {
			return nil
		}
		bin, args, env := m.cfg.serverCommand(network, engine, loops, work)
		name := fmt.Sprintf("server-%s-%s", network, engine)
		if work != "" {
			name += "-" + fileSafe(work)
		}
		logPath := filepath.Join(m.cfg.LogDir, name+".log")
		if m.cfg.LogDir == "" {
			logPath = os.DevNull
		}
		s, err := server.Start(server.Command{Engine: engine, Bin: bin, Args: args, Env: env, CPUs: m.cfg.ServerCPUs, LogPath: logPath})
		if err != nil {
			m.note("%s %s left out%s: %v", network, engine, workSuffix(work), err)
			m.res.Engines = append(m.res.Engines, EngineInfo{Name: engine, Network: network, Work: work, Error: err.Error()})
			return nil
		}
		m.servers[network+"/"+engine] = s
		return nil
	}
	for _, e := range tcp {
		if err := start("tcp", e); err != nil {
			return err
		}
	}
	for _, e := range udp {
		if err := start("udp", e); err != nil {
			return err
		}
	}
	if len(m.servers) == 0 {
		return errors.New("matrix: no server started")
	}
	return nil
}

// stopAll stops every server that runs, records what each printed and
// forgets them.
func (m *runner) stopAll(ctx context.Context) {
	for _, network := range []string{"tcp", "udp"} {
		for _, e := range m.res.Meta.EngineList {
			s := m.servers[network+"/"+e]
			if s == nil {
				continue
			}
			info := EngineInfo{Name: e, Network: network, Work: m.work, Listen: s.Listen()}
			exit, err := s.Stop(ctx, server.StopTimeout)
			info.Exit = exit
			if err != nil {
				info.Error = err.Error()
				m.note("%s %s server%s: %v", network, e, workSuffix(m.work), err)
			}
			m.res.Engines = append(m.res.Engines, info)
		}
	}
	clear(m.servers)
}

// workSuffix names a work in a note, or nothing without a work axis.
func workSuffix(work string) string {
	if work == "" {
		return ""
	}
	return " with --work " + work
}

// fileSafe turns a work spec into a part of a file name.
func fileSafe(work string) string {
	return strings.NewReplacer(":", "-", ",", "+", "%", "pct", "@", "at", "/", "-").Replace(work)
}

// checkWorks asks the TCP server binary to parse every work of the axis
// (echo-tcp --list-engines --work SPEC), so that a spec it refuses stops
// the matrix before any run, with the server's own reason.
func (m *runner) checkWorks(ctx context.Context) error {
	bin := filepath.Join(m.cfg.BinDir, "echo-tcp")
	for _, w := range m.cfg.Works {
		var stderr strings.Builder
		cmd := exec.CommandContext(ctx, bin, "--list-engines", "--work", w)
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			msg := strings.TrimSpace(strings.SplitN(stderr.String(), "\n", 2)[0])
			hint := ""
			if strings.Contains(w, ",") {
				hint = " (a comma joins the terms of one work; separate works with ';' or give --works again)"
			}
			return fmt.Errorf("matrix: work %q%s: %s: %w", w, hint, msg, err)
		}
	}
	return nil
}
