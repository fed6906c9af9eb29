package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/matrix"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/report"
	"github.com/rawnet/rawnet/internal/bytesize"
)

const matrixUsage = `echo-bench matrix: compare rawnet's concurrency models side by side.

It starts one server per engine (bin/echo-tcp --engine NAME, bin/echo-udp for
the UDP cells) and the C epoll reference server (echo-bench carries its source,
cmd/echo-bench/internal/cref/csrc/echo.c, and builds it with the system C
compiler into bin/echo-cref; skipped with a note if there is no compiler), all
at once, servers pinned to --server-cpus and this client to --client-cpus.
Named in --engines, curing, the C io_uring reference (csrc/echo_uring.c:
multishot accept and recv, a provided buffer ring, DEFER_TASKRUN), runs as the
ceiling of the io_uring model; it needs liburing-dev and is skipped with a
note without it.
Then:

  1. idle phase: per engine, --idle-conns connections, one echo each, and the
     server's RSS per connection;
  2. every cell of --conns x --sizes x --depths (plus the UDP cells of
     --udp-conns x --udp-depths, which the C reference serves in its UDP
     mode) runs on every engine, engine after engine with the order
     rotating, and each cell is repeated --repeats times; per run the
     client measures msgs/s, MB/s and latency percentiles and /proc
     measures the server's CPU per message, read+write syscalls per
     message, RSS and threads;
  3. with --count-syscalls, one more run per cell and engine counts every
     system call and context switch of the server (perf_event_open, root):
     the syscalls/msg column then shows every call, epoll_wait included.

With --works, every cell runs once per work: the servers are restarted with
--work SPEC for each (the handler work of echo-tcp --help: cpu:DUR, sleep:DUR,
TERM@P%, terms joined by commas), the C reference runs only the empty echo,
and the report adds, per work, the model that wins on msgs/s, on p99 and on
memory and by how much, each cell against its empty echo, and charts of
msgs/s and p99 against the work per message. A work spec holds commas of its
own, so works are separated by ';' or given one --works at a time:

  --works 'none;cpu:20us;sleep:1ms;sleep:5ms@1%'        four works
  --works none --works cpu:20us,sleep:5ms@1%            two works, the second
                                                        of two terms

Everything goes into --out: results.json (every run), results.csv (medians
per cell and engine), report.md (tables with ratios against std and the C
reference) and charts/ (SVG and PNG). The report's tables are also printed.
A run that fails verification is recorded, and the exit status is 1.

Examples:
  echo-bench matrix                                   # the default, a few minutes
  echo-bench matrix --engines std,epoll --conns 1,50,500 --repeats 5
  echo-bench matrix --sizes 64 --depths 1 --idle-conns 0 --duration 5s
  echo-bench matrix --engines epoll,uring,cref,curing --idle-conns 0   # io_uring against its C ceiling
  echo-bench matrix --engines epoll,cref --variant 'epoll-2loops=epoll --loops 2' \
      --server-cpus 0-1 --client-cpus 0-1    # a variant: same engine, own flags
  echo-bench matrix --engines std,threads,epoll,pool,gnet --works 'none;cpu:20us;sleep:1ms' \
      --conns 1,50,500 --sizes 64 --depths 1 --udp-conns none --idle-conns 0
                                             # which model for which handler (make models)

Flags:
`

// runMatrix is echo-bench matrix.
func runMatrix(ctx context.Context, args []string) error {
	def := matrix.Default()
	fs := pflag.NewFlagSet("echo-bench matrix", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, matrixUsage)
		fs.PrintDefaults()
	}
	cfg := def
	var serverCPUs, clientCPUs, out string
	var quiet bool
	fs.StringVar(&cfg.BinDir, "bin", def.BinDir, "folder with echo-tcp and echo-udp (`make build` puts them there); echo-cref (and echo-curing) is built into it")
	fs.StringSliceVar(&cfg.Engines, "engines", nil, "engines to compare (default: every engine echo-tcp --list-engines names, plus cref); curing, the C io_uring reference, runs when named and liburing-dev is installed")
	fs.BoolVar(&cfg.NoCRef, "no-cref", false, "leave out the C reference servers (cref and curing)")
	variants := fs.StringArray("variant", nil, "an engine with settings of its own, measured under its own name: 'NAME=ENGINE [bin:DIR] [env:KEY=VALUE]... [ARG]...' (repeatable)")
	works := fs.StringArray("works", nil, "handler works to cross with every cell, each passed to the servers as --work: separated by ';' or given one --works at a time, since a work's own terms are joined by commas ('none;cpu:20us;sleep:5ms@1%'; none: no work)")
	fs.IntSliceVar(&cfg.Conns, "conns", def.Conns, "TCP connection counts")
	fs.IntSliceVar(&cfg.Sizes, "sizes", def.Sizes, "message sizes in bytes")
	fs.IntSliceVar(&cfg.Depths, "depths", def.Depths, "messages in flight per connection (1 = ping-pong)")
	udpConns := fs.String("udp-conns", joinInts(def.UDPConns), "UDP socket counts, comma separated; 0 or none for no UDP cell")
	fs.IntVar(&cfg.UDPSize, "udp-size", def.UDPSize, "UDP datagram size")
	fs.IntSliceVar(&cfg.UDPDepths, "udp-depths", def.UDPDepths, "UDP datagrams in flight per socket (1 = request/response; 16 keeps the server, not the client, the limit)")
	fs.Var((*bytesize.Size)(&cfg.UDPRecvBuf), "udp-rcvbuf", "SO_RCVBUF every UDP server asks for (its --rcvbuf), so the datagrams in flight fit; 0 keeps the kernel's default")
	fs.DurationVar(&cfg.Duration, "duration", def.Duration, "measured time per run")
	fs.DurationVar(&cfg.Warmup, "warmup", def.Warmup, "discarded traffic before each run")
	fs.DurationVar(&cfg.DrainTimeout, "drain-timeout", 0, "how long a TCP run waits for the echoes in flight when it stops sending (0: the load generator's 5s); work that blocks an event loop needs more, 1 ms per frame and connection")
	fs.IntVar(&cfg.Repeats, "repeats", def.Repeats, "runs per cell and engine; the report shows medians")
	fs.IntVar(&cfg.IdleConns, "idle-conns", def.IdleConns, "connections of the idle memory phase (0 skips it)")
	fs.DurationVar(&cfg.IdleSettle, "idle-settle", 0, "how long the idle phase keeps its connections idle after their echoes before it reads the server's RSS (0: at once)")
	fs.BoolVar(&cfg.CountSyscalls, "count-syscalls", false, "one more run per cell and engine counting every server system call and context switch with perf_event_open (needs root)")
	fs.StringVar(&serverCPUs, "server-cpus", "", "CPUs for the servers (default: the last half of the CPUs this process may use)")
	fs.StringVar(&clientCPUs, "client-cpus", "", "CPUs for the client (default: the first half)")
	fs.StringVar(&out, "out", "", "output folder (default out/bench-<timestamp>)")
	fs.BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see echo-bench matrix --help)", fs.Arg(0))
	}
	var err error
	for _, v := range *variants {
		pv, err := matrix.ParseVariant(v)
		if err != nil {
			return err
		}
		cfg.Variants = append(cfg.Variants, pv)
	}
	if cfg.Works, err = parseWorks(*works); err != nil {
		return fmt.Errorf("--works: %w", err)
	}
	if cfg.UDPConns, err = parseInts(*udpConns); err != nil {
		return fmt.Errorf("--udp-conns: %w", err)
	}
	if cfg.ServerCPUs, cfg.ClientCPUs, err = pickCPUs(serverCPUs, clientCPUs); err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join("out", "bench-"+time.Now().Format("20060102-150405"))
	}
	cfg.LogDir = filepath.Join(out, "logs")
	cfg.Log = os.Stderr

	var bar *matrixBar
	if !quiet && isTerminal(os.Stderr) {
		bar = newMatrixBar()
		cfg.Progress = bar.update
		cfg.Log = bar
	} else if !quiet {
		cfg.Progress = func(p matrix.Progress) { fmt.Fprintf(os.Stderr, "[%d/%d] %s\n", p.Done+1, p.Total, p.Label) }
	}
	res, err := matrix.Run(ctx, cfg)
	if bar != nil {
		bar.finish(err == nil)
	}
	if res == nil {
		return err
	}
	res.Meta.Command = "echo-bench " + shellJoin(os.Args[1:])
	if werr := report.Write(out, res); werr != nil {
		return werr
	}
	if werr := report.WriteMarkdown(os.Stdout, res, filepath.Join(out, report.ChartsDir)); werr != nil {
		return werr
	}
	fmt.Printf("\nreport: %s\nresults: %s, %s\ncharts: %s\n", filepath.Join(out, report.MarkdownFile),
		filepath.Join(out, report.JSONFile), filepath.Join(out, report.CSVFile), filepath.Join(out, report.ChartsDir))
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range res.Runs {
		if r.Error != "" {
			failed++
		}
	}
	for _, r := range res.Idle {
		if r.Error != "" {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d runs failed; see the notes in the report", failed)
	}
	return nil
}

// matrixBar is the matrix's progress bar. It also takes notes, printed
// above the bar.
type matrixBar struct {
	p     *mpb.Progress
	bar   *mpb.Bar
	label atomic.Value // string
	total int64
}

// newMatrixBar starts the display; the total is set by the first update.
func newMatrixBar() *matrixBar {
	b := &matrixBar{p: mpb.New(mpb.WithOutput(os.Stderr), mpb.WithWidth(30), mpb.WithRefreshRate(150*time.Millisecond))}
	b.bar = b.p.AddBar(0,
		mpb.PrependDecorators(decor.CountersNoUnit("%d/%d", decor.WCSyncSpaceR), decor.Elapsed(decor.ET_STYLE_MMSS, decor.WCSyncSpace)),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { s, _ := b.label.Load().(string); return s })),
	)
	return b
}

// update moves the bar to the step that starts.
func (b *matrixBar) update(p matrix.Progress) {
	if b.total != int64(p.Total) {
		b.total = int64(p.Total)
		b.bar.SetTotal(b.total, false)
	}
	b.label.Store(p.Label)
	b.bar.SetCurrent(int64(p.Done))
}

// Write prints a note above the bar.
func (b *matrixBar) Write(p []byte) (int, error) {
	return b.p.Write(p)
}

// finish completes the bar.
func (b *matrixBar) finish(ok bool) {
	if ok {
		b.bar.SetTotal(b.total, true)
	} else {
		b.bar.Abort(false)
	}
	b.p.Wait()
}

// joinInts formats a list of counts for a flag default.
func joinInts(v []int) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

// parseInts reads comma-separated positive counts; "", "0" and "none"
// mean none.
func parseInts(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" || s == "none" {
		return nil, nil
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive count", part)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseWorks reads --works: each value holds one work or several
// separated by ';'. Commas stay inside a work, joining its terms. Empty
// entries (a trailing ';') are skipped; the same work twice is refused.
func parseWorks(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, w := range strings.Split(v, ";") {
			w = strings.TrimSpace(w)
			if w == "" {
				continue
			}
			if slices.Contains(out, w) {
				return nil, fmt.Errorf("work %q given twice", w)
			}
			out = append(out, w)
		}
	}
	if len(values) > 0 && len(out) == 0 {
		return nil, fmt.Errorf("no work in %q", values)
	}
	return out, nil
}

// shellJoin writes args as a shell would need them to run again: an
// argument with a space or a character the shell reads ('none;cpu:20us',
// a --variant with its flags) goes in single quotes.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n;'\"$&|<>*?()[]{}!#~`\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
