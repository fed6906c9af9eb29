//go:build !linux

package pool

import (
	"fmt"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/netpoll"
)

func start(cfg engine.Config, codec frame.Codec) (engine.Server, error) {
	return nil, fmt.Errorf("pool engine: %w", netpoll.ErrUnsupported)
}
