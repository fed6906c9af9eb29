package pool_test

import (
	"runtime"
	"testing"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/enginetest"
	"github.com/rawnet/rawnet/engine/pool"
	"github.com/rawnet/rawnet/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// kindEngine is the pool engine with workers of one kind.
type kindEngine struct {
	pool.Engine
	kind string
}

// Start starts the pool engine with workers of kind k.
func (k kindEngine) Start(cfg engine.Config) (engine.Server, error) {
	cfg.WorkerKind = k.kind
	return k.Engine.Start(cfg)
}

func TestConformance(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the pool engine needs Linux")
	}
	enginetest.Run(t, pool.Engine{})
}

func TestConformanceGoroutineWorkers(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the pool engine needs Linux")
	}
	enginetest.Run(t, kindEngine{kind: engine.WorkerGoroutine})
}

func TestConformanceThreadParkWorkers(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the pool engine needs Linux")
	}
	enginetest.Run(t, kindEngine{kind: engine.WorkerThreadPark})
}
