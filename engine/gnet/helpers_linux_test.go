package gnetengine_test

import (
	"testing"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/enginetest"
	gnetengine "github.com/rawnet/rawnet/engine/gnet"
)

// The conformance suite (gnet_test.go) covers echo, framing, limits and
// shutdown; the tests beside this file cover what the adapter adds to gnet.

// start runs the engine with cfg until the test ends.
func start(t *testing.T, cfg engine.Config) engine.Server {
	t.Helper()
	return enginetest.Start(t, gnetengine.Engine{}, cfg)
}
