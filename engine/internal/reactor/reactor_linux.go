//go:build linux

// Package reactor holds what the engines built on netpoll (epoll and pool)
// share: the balance modes, how much a loop reads from one connection per
// turn, the reason a connection's close is counted under, and the sum of
// the output their connections hold, which Stats reports.
package reactor

import (
	"errors"
	"fmt"
	"time"

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

// QueuedWait bounds how long SumQueued waits for a loop to report the
// output its connections hold: a loop busy for longer is left out of that
// snapshot rather than stall a metrics scrape.
const QueuedWait = 250 * time.Millisecond

// Queued is the set of one loop's connections that have had output
// queued. Only that loop touches it.
type Queued map[*netpoll.Conn]struct{}

// SumQueued asks each loop, on its own goroutine, for the output its
// connections hold, and forgets the connections whose output is gone. A
// loop costs one Submit and a walk over its connections with queued
// output, not over all of them. queued returns loop i's set.
func SumQueued(loops []*netpoll.Loop, queued func(loop int) Queued) int64 {
	sums := make(chan int64, len(loops))
	asked := 0
	for _, l := range loops {
		set := queued(l.Index())
		err := l.Submit(func() {
			var n int64
			for c := range set {
				b := c.OutboundBuffered()
				if b == 0 {
					delete(set, c)
				}
				n += int64(b)
			}
			sums <- n
		})
		if err == nil {
			asked++
		}
	}
	var total int64
	timer := time.NewTimer(QueuedWait)
	defer timer.Stop()
	for range asked {
		select {
		case n := <-sums:
			total += n
		case <-timer.C:
			return total
		}
	}
	return total
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
