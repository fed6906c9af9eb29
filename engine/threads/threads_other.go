//go:build !linux

package threads

import (
	"errors"
	"runtime"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/frame"
)

// errUnsupported is returned by Start outside Linux: the engine relies on
// Linux semantics of shutdown(2) on listening and UDP sockets to wake
// blocked threads.
var errUnsupported = errors.New("threads: unsupported on " + runtime.GOOS)

func startTCP(engine.Config, frame.Codec) (engine.Server, error) { return nil, errUnsupported }

func startUDP(engine.Config, frame.Codec) (engine.Server, error) { return nil, errUnsupported }
