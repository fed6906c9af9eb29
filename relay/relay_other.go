//go:build !linux

package relay

import (
	"context"
	"errors"
	"net"
)

// ErrUnsupported is returned by Start where netpoll has no epoll.
var ErrUnsupported = errors.New("relay: only available on Linux")

// Relay is unavailable without epoll.
type Relay struct{}

// Start returns ErrUnsupported.
func Start(cfg Config) (*Relay, error) { return nil, ErrUnsupported }

// Addr returns nil.
func (r *Relay) Addr() net.Addr { return nil }

// Path returns PathCopy.
func (r *Relay) Path() Path { return PathCopy }

// PipeCapacity returns 0.
func (r *Relay) PipeCapacity() int { return 0 }

// PipeGrowSize returns 0.
func (r *Relay) PipeGrowSize() int { return 0 }

// PipeGrowMax returns 0.
func (r *Relay) PipeGrowMax() int { return 0 }

// Stats returns zero counters.
func (r *Relay) Stats() Stats { return Stats{} }

// Done returns a closed channel.
func (r *Relay) Done() <-chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

// Err returns ErrUnsupported.
func (r *Relay) Err() error { return ErrUnsupported }

// Shutdown returns nil.
func (r *Relay) Shutdown(ctx context.Context) error { return nil }
