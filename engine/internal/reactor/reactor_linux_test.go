//go:build linux

package reactor

import (
	"errors"
	"fmt"
	"testing"

	"github.com/rawnet/rawnet/engine/internal/budget"
	"github.com/rawnet/rawnet/engine/internal/stat"
	"github.com/rawnet/rawnet/netpoll"
)

func TestCloseReason(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		badFrame bool
		waited   bool
		want     stat.Reason
	}{
		{name: "peer closed", want: stat.Peer},
		{name: "bad frame wins over a timeout", err: netpoll.ErrCloseTimeout, badFrame: true, want: stat.Frame},
		{name: "input limit", err: fmt.Errorf("x: %w", netpoll.ErrInputLimit), want: stat.Frame},
		{name: "shutdown", err: netpoll.ErrServerClosed, want: stat.Shutdown},
		{name: "idle", err: netpoll.ErrIdleTimeout, want: stat.Idle},
		{name: "idle while waiting for budget", err: netpoll.ErrIdleTimeout, waited: true, want: stat.Budget},
		{name: "write timeout", err: netpoll.ErrWriteTimeout, want: stat.WriteTimeout},
		{name: "close timeout", err: netpoll.ErrCloseTimeout, want: stat.WriteTimeout},
		{name: "frame over the budget", err: budget.ErrTooLarge, want: stat.Budget},
		{name: "anything else", err: errors.New("connection reset"), want: stat.IO},
	}
	for _, tt := range tests {
		if got := CloseReason(tt.err, tt.badFrame, tt.waited); got != tt.want {
			t.Errorf("%s: CloseReason = %v, want %v", tt.name, got, tt.want)
		}
	}
}
