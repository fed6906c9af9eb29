package cli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/work"
)

// workValue is --work: a work.Spec parsed as the flag is set, so a bad
// term is refused with the flag's name.
type workValue struct{ spec *work.Spec }

// String returns the spec as --work reads it.
func (v workValue) String() string {
	if v.spec == nil {
		return work.None
	}
	return v.spec.String()
}

// Set parses s into the spec.
func (v workValue) Set(s string) error {
	sp, err := work.Parse(s)
	if err != nil {
		return err
	}
	*v.spec = sp
	return nil
}

// Type names the value in --help.
func (workValue) Type() string { return "spec" }

// addWorkFlags defines the flags of the handler's work and of the pool
// engine's workers that do it on fs, bound to c: --work, --work-seed,
// --workers and --worker-kind.
func addWorkFlags(fs *pflag.FlagSet, c *engine.Config) {
	fs.Var(workValue{&c.Work}, "work", "work done to every frame before its echo, terms added up: cpu:DUR burns DUR of CPU, "+
		"sleep:DUR blocks like a synchronous database call (the event loop, thread or goroutine serving the frame waits), "+
		"TERM@P% applies a term to P% of the frames only; e.g. cpu:20us,sleep:5ms@1% (none: no work)")
	fs.Uint64Var(&c.WorkSeed, "work-seed", 0, "seed of the draws that pick the frames a --work term with @P% applies to; the same seed draws the same frames")
	fs.IntVar(&c.Workers, "workers", 0, fmt.Sprintf("most workers of the pool engine running --work at once on the frames its event loops cut (0: max(%d, 2 per CPU)); one asleep in a sleep term does not count, up to --threads workers in all", engine.DefaultWorkers))
	fs.StringVar(&c.WorkerKind, "worker-kind", engine.WorkerThread, "what the pool engine's workers are: thread (each locked to an OS thread of its own, sleep work blocking it in nanosleep), goroutine, or thread-park (locked to a thread like thread, sleep work parking it so that its P goes on at once)")
}

// checkWorkers checks --workers and --worker-kind, naming the flag at
// fault.
func checkWorkers(c engine.Config) error {
	if c.Workers < 0 {
		return fmt.Errorf("--workers: %d is negative", c.Workers)
	}
	switch c.WorkerKind {
	case "", engine.WorkerThread, engine.WorkerGoroutine, engine.WorkerThreadPark:
		return nil
	}
	return fmt.Errorf("--worker-kind: %q is not %s, %s or %s", c.WorkerKind, engine.WorkerThread, engine.WorkerGoroutine, engine.WorkerThreadPark)
}

// workFields is the part of the listening line that states the work of
// cfg and, for the pool engine, its workers.
func workFields(cfg engine.Config, engineName string) string {
	s := " work=" + work.None
	if !cfg.Work.IsZero() {
		s = fmt.Sprintf(" work=%s work-seed=%d", cfg.Work, cfg.WorkSeed)
	}
	if engineName == "pool" {
		s += fmt.Sprintf(" workers=%d worker-kind=%s", cfg.Workers, cfg.WorkerKind)
	}
	return s
}
