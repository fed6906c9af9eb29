//go:build !linux

package epoll

import (
	"fmt"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/netpoll"
)

func start(cfg engine.Config, codec frame.Codec, b netpoll.Backend) (engine.Server, error) {
	return nil, fmt.Errorf("epoll engine: %w", netpoll.ErrUnsupported)
}
