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

// addWorkFlags defines --work and --work-seed on fs, bound to c.
func addWorkFlags(fs *pflag.FlagSet, c *engine.Config) {
	fs.Var(workValue{&c.Work}, "work", "work done to every frame before its echo, terms added up: cpu:DUR burns DUR of CPU, "+
		"sleep:DUR blocks like a synchronous database call (the event loop, thread or goroutine serving the frame waits), "+
		"TERM@P% applies a term to P% of the frames only; e.g. cpu:20us,sleep:5ms@1% (none: no work)")
	fs.Uint64Var(&c.WorkSeed, "work-seed", 0, "seed of the draws that pick the frames a --work term with @P% applies to; the same seed draws the same frames")
}

// workFields is the part of the listening line that states the work of
// cfg.
func workFields(cfg engine.Config) string {
	if cfg.Work.IsZero() {
		return " work=" + work.None
	}
	return fmt.Sprintf(" work=%s work-seed=%d", cfg.Work, cfg.WorkSeed)
}
