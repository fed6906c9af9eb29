// Package server is the kv example's server: an in-memory key-value
// store that speaks the part of the Redis protocol (RESP2) that
// redis-cli, redis-benchmark and client libraries use for GET, SET, DEL,
// INCR, MGET, PING and pipelining, built on netpoll's event loops, the
// resp codec and a sharded map.
//
// Each loop parses every complete command a read delivered, appends the
// replies to one buffer the loop reuses for all its connections, and
// sends them with one write, so that a pipeline of sixteen commands costs
// one read and one write. Commands run on the loop that read them;
// loops share only the store.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/rawnet/rawnet/examples/kv/resp"
	"github.com/rawnet/rawnet/examples/kv/store"
	"github.com/rawnet/rawnet/netpoll"
)

// DefaultMaxOutput is the reply output a connection may have waiting
// before it is closed, when Config.MaxOutput is zero.
const DefaultMaxOutput = 64 << 20

// ErrOutputLimit closes a connection whose unsent replies passed
// Config.MaxOutput: a peer that pipelines reads of large values and does
// not read the replies would otherwise grow the server's memory without
// bound. Redis calls the same guard client-output-buffer-limit.
var ErrOutputLimit = errors.New("server: unsent replies exceed limit")

// Config describes a server. Its zero value serves with one loop per
// CPU, the default resp.Limits and no timeouts.
type Config struct {
	// Loops is the number of event loops; 0 means runtime.NumCPU().
	Loops int
	// Limits bounds each command a client sends; a command past them
	// gets "-ERR Protocol error: ..." and its connection is closed.
	Limits resp.Limits
	// MaxOutput is the unsent reply output, in bytes, past which a
	// connection is closed with ErrOutputLimit; 0 means
	// DefaultMaxOutput.
	MaxOutput int
	// MaxConns bounds open connections; 0 means no limit but the
	// descriptor limit.
	MaxConns int
	// IdleTimeout closes a connection that sends nothing, or does not
	// finish the command it began, for this long; 0 means never.
	IdleTimeout time.Duration
	// Logger receives netpoll's accept errors and handler panics; nil
	// discards them.
	Logger *slog.Logger
}

// Check returns an error naming the first field out of range.
func (c Config) Check() error {
	switch {
	case c.Loops < 0:
		return fmt.Errorf("server: %d loops", c.Loops)
	case c.MaxOutput < 0:
		return fmt.Errorf("server: output limit %d is negative", c.MaxOutput)
	case c.MaxConns < 0:
		return fmt.Errorf("server: connection limit %d is negative", c.MaxConns)
	case c.IdleTimeout < 0:
		return fmt.Errorf("server: idle timeout %v is negative", c.IdleTimeout)
	}
	return c.Limits.Check()
}

// Server is a running kv server.
type Server struct {
	np *netpoll.Server
	h  *handler
}

// Listen starts a server on a TCP address such as "127.0.0.1:6380" (port
// 0 picks a free port). It returns once the socket is bound, so clients
// may connect to Addr at once.
func Listen(addr string, cfg Config) (*Server, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	// The handler keeps one scratch area per loop, indexed by
	// Loop.Index, so it must know the count netpoll will run.
	if cfg.Loops == 0 {
		cfg.Loops = runtime.NumCPU()
	}
	if cfg.MaxOutput == 0 {
		cfg.MaxOutput = DefaultMaxOutput
	}
	h := newHandler(store.New(), resp.Codec{Limits: cfg.Limits}, cfg.Loops, cfg.MaxOutput)
	np, err := netpoll.Listen("tcp", addr, h, netpoll.Config{
		Loops:             cfg.Loops,
		MaxConns:          cfg.MaxConns,
		IdleTimeout:       cfg.IdleTimeout,
		IdleBoundsPartial: true,
		// A connection holds at most one incomplete command, which the
		// codec refuses before it reaches Max bytes; the codec's error
		// comes with a reply, netpoll's limit would close in silence.
		InputLimit: h.codec.Max(),
		Logger:     cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	return &Server{np: np, h: h}, nil
}

// Addr returns the bound address.
func (s *Server) Addr() net.Addr { return s.np.Addr() }

// Loops returns the number of event loops.
func (s *Server) Loops() int { return len(s.h.loops) }

// Done is closed once the server has stopped, after Shutdown or a fatal
// error.
func (s *Server) Done() <-chan struct{} { return s.np.Done() }

// Err returns the error that stopped the server, or nil after Shutdown.
// It is meaningful once Done is closed.
func (s *Server) Err() error { return s.np.Err() }

// Shutdown stops accepting, lets every connection finish what it sent
// and closes it, then stops the loops; it returns ctx.Err() if
// connections had to be cut short. It must not be called from a handler.
func (s *Server) Shutdown(ctx context.Context) error { return s.np.Shutdown(ctx) }

// Stats counts what the server did since it started.
type Stats struct {
	netpoll.Stats
	// Commands counts commands run, unknown ones included.
	Commands uint64
	// ProtocolErrors counts connections closed for a malformed or
	// oversized command.
	ProtocolErrors uint64
	// OutputLimits counts connections closed with ErrOutputLimit.
	OutputLimits uint64
	// Keys is the number of keys stored now.
	Keys int
}

// Stats returns the server's counters. It may be called from any
// goroutine.
func (s *Server) Stats() Stats {
	st := Stats{Stats: s.np.Stats(), Keys: s.h.store.Len()}
	for i := range s.h.loops {
		c := &s.h.loops[i].counts
		st.Commands += c.commands.Load()
		st.ProtocolErrors += c.protocolErrors.Load()
		st.OutputLimits += c.outputLimits.Load()
	}
	return st
}

// counts are one loop's counters, written only by that loop.
type counts struct {
	commands, protocolErrors, outputLimits atomic.Uint64
}
