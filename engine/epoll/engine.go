package epoll

import (
	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/netpoll"
)

// Engine is the epoll event-loop engine. Its zero value is ready to use.
type Engine struct{}

// Name returns "epoll".
func (Engine) Name() string { return "epoll" }

// Start binds the socket(s) cfg describes and starts the loops. It returns
// once the server accepts connections or datagrams. It fails on systems
// without epoll.
func (Engine) Start(cfg engine.Config) (engine.Server, error) {
	cfg, codec, err := cfg.Normalize()
	if err != nil {
		return nil, err
	}
	return start(cfg, codec, netpoll.BackendEpoll)
}

// StartOn is Start on netpoll's backend b. The uring engine
// (engine/uring) is this engine on netpoll.BackendUring: the same
// handlers, budgets and counters, served through io_uring.
func StartOn(cfg engine.Config, b netpoll.Backend) (engine.Server, error) {
	cfg, codec, err := cfg.Normalize()
	if err != nil {
		return nil, err
	}
	return start(cfg, codec, b)
}
