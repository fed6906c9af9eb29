//go:build linux

package epoll

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/budget"
	"github.com/rawnet/rawnet/engine/internal/reactor"
	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/netpoll"
	"github.com/rawnet/rawnet/sockopt"
)

// server adapts a netpoll.Server to engine.Server.
type server struct {
	np      *netpoll.Server
	report  sockopt.Report
	udp     bool
	counter []loopCounters // one per loop, indexed by Loop.Index
	budget  *budget.Budget // input for large frames in progress, server-wide
	epoch   time.Time      // connection open times count from here
}

func start(cfg engine.Config, codec frame.Codec, backend netpoll.Backend) (engine.Server, error) {
	s := &server{
		udp:     cfg.IsUDP(),
		counter: make([]loopCounters, cfg.Loops),
		budget:  budget.New(cfg.InputBudget),
		epoch:   time.Now(),
	}
	balance, err := reactor.Balance(cfg.Balance)
	if err != nil {
		return nil, fmt.Errorf("epoll engine: %w", err)
	}
	npcfg := netpoll.Config{
		Backend:      backend,
		Loops:        cfg.Loops,
		CPUs:         cfg.CPUAffinity,
		Balance:      balance,
		MaxConns:     cfg.MaxConns,
		IdleTimeout:  cfg.IdleTimeout,
		WriteTimeout: cfg.WriteTimeout,
		WriteLimit:   cfg.WriteLimit,
		// The codec never leaves a frame of Max bytes unconsumed; the
		// input limit only catches a codec that breaks that contract.
		InputLimit: max(codec.Max(), 1),
		UDPBuffer:  cfg.UDPBuffer,
		Control:    s.control(cfg.Sockopts),
		Logger:     cfg.Logger,

		// The idle timeout also bounds a frame in progress, as
		// engine.Config.IdleTimeout says.
		IdleBoundsPartial: true,

		// Loops sleep in epoll_wait rather than park on the Go
		// runtime's poller, netpoll's default: the engine serves
		// echo-tcp and echo-udp, processes that run nothing but their
		// loops and a metrics page, and a park costs a ping-pong
		// connection more system calls per message than the sleep. The
		// loops' yields through the runtime's poller still reach the
		// metrics page when they are busy, and sysmon when they sleep
		// (netpoll.WaitSyscall; docs/perf/README.md, "Loops that share
		// the process", has the figures for both modes).
		Wait: netpoll.WaitSyscall,

		// One read buffer per connection per wake-up, not netpoll's
		// four, and a quarter of one when others are ready too: every
		// connection that became ready waits for the others' turns,
		// and a flooding connection's reads and their echoes were most
		// of a ping-pong connection's wait under a flood. A connection
		// alone in its round keeps the large reads, which a bulk
		// transfer needs (docs/perf/README.md, "Fairness under a
		// flood").
		ReadBudget: reactor.ReadBudget,
		ReadShare:  reactor.ReadShare,

		// Small echoes leave together, at the end of the round: a client
		// waiting on many connections is then woken once for them rather
		// than once per echo, which on a virtual machine costs the loop
		// several microseconds each (docs/perf/defer).
		DeferWrites: !cfg.SendAtOnce,
	}
	if s.udp {
		var h *udpHandler
		if h, err = newUDPHandler(s, codec, cfg); err != nil {
			return nil, fmt.Errorf("%s engine: %w", backend, err)
		}
		s.np, err = netpoll.ListenPacket(cfg.Network, cfg.Addr, h, npcfg)
	} else {
		h := &tcpHandler{s: s, codec: codec, log: cfg.Logger, quickAck: cfg.Sockopts.QuickAck,
			reserve: budget.Reservation(codec.Max()), work: loopWork(cfg)}
		s.np, err = netpoll.Listen(cfg.Network, cfg.Addr, h, npcfg)
	}
	if err != nil {
		return nil, fmt.Errorf("%s engine: %w", backend, err)
	}
	cfg.Logger.Debug("listening", "engine", backend.String(), "addr", s.np.Addr().String(),
		"loops", cfg.Loops, "balance", cfg.Balance, "frame", codec.String())
	return s, nil
}

// loopWork returns a Runner of cfg.Work for each loop, or nil when there
// is no work. Loops run as goroutines, so their sleeps park
// (work.Park): the loop serves none of its connections meanwhile, yet
// holds no P that the rest of the process could use.
func loopWork(cfg engine.Config) []work.Runner {
	if cfg.Work.IsZero() {
		return nil
	}
	src := work.NewSource(cfg.Work, cfg.WorkSeed, work.Park)
	runners := make([]work.Runner, cfg.Loops)
	for i := range runners {
		runners[i] = src.Next()
	}
	return runners
}

// control applies the socket options to each listening or UDP socket
// before bind, and reads back what the first one was granted. TCP
// listeners also get the per-connection options, which accepted sockets
// inherit (see the package doc).
func (s *server) control(opts sockopt.Options) func(fd int) error {
	first := true
	return func(fd int) error {
		if err := opts.ApplyListener(fd); err != nil {
			return err
		}
		if !s.udp {
			if err := opts.ApplyConn(fd); err != nil {
				return err
			}
		}
		if !first {
			return nil
		}
		first = false
		g, err := sockopt.Read(fd)
		if err != nil {
			return err
		}
		s.report = sockopt.NewReport(opts, g)
		return nil
	}
}

// Addr returns the bound address.
func (s *server) Addr() net.Addr { return s.np.Addr() }

// Sockopts reports the options requested and granted on the listening
// (or first UDP) socket.
func (s *server) Sockopts() sockopt.Report { return s.report }

// Shutdown stops accepting, lets connections drain until ctx is done, then
// closes the rest; it returns ctx.Err() if any had to be cut.
func (s *server) Shutdown(ctx context.Context) error { return s.np.Shutdown(ctx) }

// Done is closed once every loop has stopped.
func (s *server) Done() <-chan struct{} { return s.np.Done() }

// Err returns the error that stopped the server, or nil.
func (s *server) Err() error { return s.np.Err() }

// isInputLimit reports a connection closed because the codec left more
// than its own Max unconsumed.
func isInputLimit(err error) bool { return errors.Is(err, netpoll.ErrInputLimit) }
