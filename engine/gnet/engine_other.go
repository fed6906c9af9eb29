//go:build !linux

package gnetengine

import (
	"errors"
	"runtime"

	"github.com/rawnet/rawnet/engine"
)

// errUnsupported is returned by Start outside Linux, where the adapter's
// socket handling and package sockopt are not implemented.
var errUnsupported = errors.New("gnet: unsupported on " + runtime.GOOS)

func start(engine.Config) (engine.Server, error) { return nil, errUnsupported }
