package work

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is what a term does to a frame.
type Kind uint8

// The kinds of work.
const (
	// CPU burns CPU time on the thread serving the frame.
	CPU Kind = iota + 1
	// Sleep blocks the goroutine or thread serving the frame.
	Sleep
)

// String returns the kind as a term spells it: "cpu" or "sleep".
func (k Kind) String() string {
	switch k {
	case CPU:
		return "cpu"
	case Sleep:
		return "sleep"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// MaxDuration is the longest a single term may last. It only catches a
// misplaced unit: a frame that holds its server for a minute measures
// nothing useful.
const MaxDuration = time.Minute

// Term is one term of a Spec.
type Term struct {
	// Kind is what the term does.
	Kind Kind
	// Duration is how much CPU time it burns or how long it sleeps,
	// per frame it applies to.
	Duration time.Duration
	// Percent is the share of frames it applies to, over 0 and at most
	// 100.
	Percent float64
}

// String returns the term as Parse reads it, with "us" for
// microseconds so that the text stays ASCII.
func (t Term) String() string {
	s := t.Kind.String() + ":" + strings.ReplaceAll(t.Duration.String(), "µs", "us")
	if t.Percent < 100 {
		s += "@" + strconv.FormatFloat(t.Percent, 'g', -1, 64) + "%"
	}
	return s
}

// Spec is the work applied to every frame: terms that add up. The zero
// Spec is no work. A Spec holds no state and may be shared.
type Spec struct {
	terms []Term
}

// None is how String spells the zero Spec, and Parse reads it back.
const None = "none"

// Parse reads a Spec written as --work takes it (see the package
// documentation): comma-separated terms KIND:DURATION[@P%], such as
// "cpu:20us,sleep:5ms@1%". An empty string and "none" are no work. The
// error names the term at fault.
func Parse(s string) (Spec, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == None {
		return Spec{}, nil
	}
	var sp Spec
	for _, f := range strings.Split(s, ",") {
		t, err := parseTerm(strings.TrimSpace(f))
		if err != nil {
			return Spec{}, err
		}
		sp.terms = append(sp.terms, t)
	}
	return sp, nil
}

// errSyntax is the shape every term must have.
var errSyntax = errors.New("want KIND:DURATION or KIND:DURATION@P%, KIND being cpu or sleep")

// parseTerm reads one KIND:DURATION[@P%] term.
func parseTerm(f string) (Term, error) {
	kind, rest, ok := strings.Cut(f, ":")
	if !ok || f == "" {
		return Term{}, fmt.Errorf("work: term %q: %w", f, errSyntax)
	}
	t := Term{Percent: 100}
	switch kind {
	case "cpu":
		t.Kind = CPU
	case "sleep":
		t.Kind = Sleep
	default:
		return Term{}, fmt.Errorf("work: term %q: unknown kind %q (want cpu or sleep)", f, kind)
	}
	dur, share, hasShare := strings.Cut(rest, "@")
	d, err := time.ParseDuration(dur)
	switch {
	case err != nil:
		return Term{}, fmt.Errorf("work: term %q: %w", f, err)
	case d <= 0 || d > MaxDuration:
		return Term{}, fmt.Errorf("work: term %q: the duration must be over 0 and at most %v", f, MaxDuration)
	}
	t.Duration = d
	if hasShare {
		p, ok := strings.CutSuffix(share, "%")
		v, err := strconv.ParseFloat(p, 64)
		switch {
		case !ok:
			return Term{}, fmt.Errorf("work: term %q: the share %q must end with %%, as in @1%%", f, share)
		case err != nil || !(v > 0 && v <= 100):
			return Term{}, fmt.Errorf("work: term %q: the share %q must be over 0%% and at most 100%%", f, share)
		}
		t.Percent = v
	}
	if err := supported(t.Kind); err != nil {
		return Term{}, fmt.Errorf("work: term %q: %w", f, err)
	}
	return t, nil
}

// IsZero reports whether s is no work.
func (s Spec) IsZero() bool { return len(s.terms) == 0 }

// Terms returns a copy of the terms of s, in the order written.
func (s Spec) Terms() []Term { return append([]Term(nil), s.terms...) }

// String returns s as Parse reads it, or None for no work.
func (s Spec) String() string {
	if s.IsZero() {
		return None
	}
	parts := make([]string, len(s.terms))
	for i, t := range s.terms {
		parts[i] = t.String()
	}
	return strings.Join(parts, ",")
}

// Mean returns the CPU time and the sleep a frame gets on average.
func (s Spec) Mean() (cpu, sleep time.Duration) {
	for _, t := range s.terms {
		d := time.Duration(float64(t.Duration) * t.Percent / 100)
		if t.Kind == CPU {
			cpu += d
		} else {
			sleep += d
		}
	}
	return cpu, sleep
}
