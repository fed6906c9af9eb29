// Package all maps engine names, as --engine spells them, to engines. It
// is the one place that imports every concurrency model.
package all

import (
	"fmt"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/epoll"
	gnetengine "github.com/rawnet/rawnet/engine/gnet"
	"github.com/rawnet/rawnet/engine/pool"
	"github.com/rawnet/rawnet/engine/std"
	"github.com/rawnet/rawnet/engine/threads"
	"github.com/rawnet/rawnet/engine/uring"
)

// Default is the engine the command-line tools use when --engine is not
// given.
const Default = "epoll"

// engines lists every engine in the order help text and benches show them.
var engines = []engine.Engine{
	epoll.Engine{},
	uring.Engine{},
	std.Engine{},
	threads.Engine{},
	pool.Engine{},
	gnetengine.Engine{},
}

// Names returns the engine names in display order.
func Names() []string {
	names := make([]string, len(engines))
	for i, e := range engines {
		names[i] = e.Name()
	}
	return names
}

// Available returns nil if the engine called name can run on this host
// and in this process, or why not: an engine that depends on the kernel
// says so with an Available() error method (engine/uring does).
func Available(name string) error {
	e, ok := Lookup(name)
	if !ok {
		return fmt.Errorf("no engine %q", name)
	}
	if a, ok := e.(interface{ Available() error }); ok {
		return a.Available()
	}
	return nil
}

// Lookup returns the engine called name.
func Lookup(name string) (engine.Engine, bool) {
	for _, e := range engines {
		if e.Name() == name {
			return e, true
		}
	}
	return nil, false
}
