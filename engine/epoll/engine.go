package epoll

import (
	"github.com/rawnet/rawnet/engine"
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
	return start(cfg, codec)
}
