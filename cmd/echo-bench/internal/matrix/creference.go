package matrix

import (
	"context"
	"path/filepath"
	"slices"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/cref"
)

// cReference is a C reference server the matrix can run beside the
// engines: a ceiling, not a model, built into the bin folder at run time.
type cReference struct {
	name  string
	what  string // how notes name it
	build func(ctx context.Context, out string) error
	// byDefault runs it when the config names no engines; otherwise it
	// runs only when named.
	byDefault bool
}

// cReferences are the C reference servers, in report order.
var cReferences = []cReference{
	{name: cref.Name, what: "C reference", build: cref.Build, byDefault: true},
	// The io_uring ceiling is for matrices that study that model: it
	// needs liburing-dev, and it would lengthen every default matrix.
	{name: cref.URingName, what: "C io_uring reference", build: cref.BuildURing},
}

// isCReference reports whether engine names a C reference server.
func isCReference(engine string) bool {
	return slices.ContainsFunc(cReferences, func(r cReference) bool { return r.name == engine })
}

// buildCReferences builds the C references the config wants and returns
// the names of those that built; one that cannot be built (no compiler,
// no liburing) is left out with a note, not an error.
func (m *runner) buildCReferences(ctx context.Context) []string {
	if m.cfg.NoCRef {
		return nil
	}
	var names []string
	for _, r := range cReferences {
		if !(m.cfg.Engines == nil && r.byDefault) && !slices.Contains(m.cfg.Engines, r.name) {
			continue
		}
		if err := r.build(ctx, filepath.Join(m.cfg.BinDir, "echo-"+r.name)); err != nil {
			m.note("%s (%s) skipped: %v", r.what, r.name, err)
			continue
		}
		if r.name == cref.Name {
			m.res.Meta.Reference = r.name
		}
		m.res.Meta.References = append(m.res.Meta.References, r.name)
		names = append(names, r.name)
	}
	return names
}
