//go:build !linux

package bench

import (
	"context"
	"errors"
)

// ErrUnsupported is returned by Run on systems other than Linux: the load
// generator drives its sockets with epoll.
var ErrUnsupported = errors.New("bench: the load generator needs Linux (epoll)")

// Run returns ErrUnsupported.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	return nil, ErrUnsupported
}
