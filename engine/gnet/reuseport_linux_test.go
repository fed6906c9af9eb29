package gnetengine_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/rawnet/rawnet/engine"
)

// TestReusePortLoopsSharePortZero checks that with one SO_REUSEPORT
// socket per loop and port 0, every loop's socket is bound to the port
// Addr reports; gnet alone would bind each loop to a port of its own.
func TestReusePortLoopsSharePortZero(t *testing.T) {
	const loops = 3
	tests := []struct {
		name    string
		network string
		table   string // /proc/net file listing the sockets
		state   string // socket state column for a bound socket
	}{
		{name: "tcp", network: "tcp", table: "/proc/net/tcp", state: "0A"}, // TCP_LISTEN
		{name: "udp", network: "udp", table: "/proc/net/udp", state: "07"}, // TCP_CLOSE, as UDP reports it
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(t, engine.Config{Network: tt.network, Loops: loops, Balance: engine.BalanceReusePort})
			var port int
			switch a := srv.Addr().(type) {
			case *net.TCPAddr:
				port = a.Port
			case *net.UDPAddr:
				port = a.Port
			}
			if got := boundSockets(t, tt.table, port, tt.state); got != loops {
				t.Fatalf("%d sockets bound to port %d, want one per loop (%d)", got, port, loops)
			}
		})
	}
}

// boundSockets counts the sockets in a /proc/net table with local port
// port in state state (proc(5)).
func boundSockets(t *testing.T, table string, port int, state string) int {
	t.Helper()
	f, err := os.Open(table)
	if err != nil {
		t.Fatalf("open %s: %v", table, err)
	}
	defer f.Close()
	suffix := fmt.Sprintf(":%04X", port)
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 3 && strings.HasSuffix(fields[1], suffix) && fields[3] == state {
			n++
		}
	}
	return n
}
