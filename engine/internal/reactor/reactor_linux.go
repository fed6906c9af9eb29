//go:build linux

// Package reactor holds what the engines built on netpoll (epoll, uring
// and pool) share: the balance modes, how much a loop reads from one
// connection per turn and the reason a connection's close is counted
// under. The output their connections hold is netpoll's own count
// (netpoll.Stats.Queued).
package reactor

import (
	"errors"
	"fmt"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/internal/budget"
	"github.com/rawnet/rawnet/engine/internal/stat"
	"github.com/rawnet/rawnet/netpoll"
)

// Fairness between the connections of a loop: ReadBudget is the most a
// loop reads from one connection per wake-up, netpoll's read buffer
// (64 KiB) read once; ReadShare is the most while other connections are
// ready in the same round, a quarter of it, so that ping-pong connections
// beside a flood wait for short turns (see netpoll.Config.ReadShare).
const (
	ReadBudget = 64 << 10
	ReadShare  = 16 << 10
)

// Balance maps engine.Config.Balance onto netpoll's balance modes.
func Balance(b string) (netpoll.Balance, error) {
	switch b {
	case engine.BalanceRoundRobin:
		return netpoll.RoundRobin, nil
	case engine.BalanceLeastConn:
		return netpoll.LeastConn, nil
	case engine.BalanceReusePort:
		return netpoll.ReusePort, nil
	}
	return 0, fmt.Errorf("unknown balance %q", b)
}

// CloseReason returns the reason a connection closed with err is counted
// under: a bad frame the handler found comes first, whatever timeout
// ended the close that followed it, and an idle timeout that ended a wait
// for input budget is the budget's.
func CloseReason(err error, badFrame, waitedForBudget bool) stat.Reason {
	switch {
	case badFrame || errors.Is(err, netpoll.ErrInputLimit):
		return stat.Frame
	case err == nil:
		return stat.Peer
	case errors.Is(err, netpoll.ErrServerClosed):
		return stat.Shutdown
	case errors.Is(err, netpoll.ErrIdleTimeout):
		if waitedForBudget {
			return stat.Budget
		}
		return stat.Idle
	case errors.Is(err, netpoll.ErrWriteTimeout), errors.Is(err, netpoll.ErrCloseTimeout):
		return stat.WriteTimeout
	case errors.Is(err, budget.ErrTooLarge):
		return stat.Budget
	}
	return stat.IO
}
