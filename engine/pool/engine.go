package pool

import (
	"github.com/rawnet/rawnet/engine"
)

// Engine is the thread-pool engine. Its zero value is ready to use.
type Engine struct{}

// Name returns "pool".
func (Engine) Name() string { return "pool" }

// Start binds the socket(s) cfg describes and starts the loops; the
// workers start as the first frames arrive. It returns once the server
// accepts connections or datagrams. It fails on systems without epoll.
func (Engine) Start(cfg engine.Config) (engine.Server, error) {
	cfg, codec, err := cfg.Normalize()
	if err != nil {
		return nil, err
	}
	return start(cfg, codec)
}
