package gnetengine

import "github.com/rawnet/rawnet/engine"

// Engine is the adapter over github.com/panjf2000/gnet/v2. Its zero value
// is ready to use.
type Engine struct{}

// Name returns "gnet".
func (Engine) Name() string { return "gnet" }

// Start runs gnet on the address cfg describes and returns once every
// event loop is serving.
func (Engine) Start(cfg engine.Config) (engine.Server, error) { return start(cfg) }
