//go:build linux

package netpoll_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/rawnet/rawnet/netpoll"
)

// ticker pushes "tick N" lines to every connection from a goroutine of
// its own, and closes a connection that sends "stop".
type ticker struct {
	stopped chan error // each pusher's last error
}

func (t ticker) OnOpen(c *netpoll.Conn) { go t.push(c) }

func (ticker) OnData(c *netpoll.Conn, data []byte) int {
	if bytes.Contains(data, []byte("stop")) {
		_ = c.Close()
	}
	return len(data)
}

func (ticker) OnClose(c *netpoll.Conn, err error) {}

// push runs on its own goroutine, so it never touches c directly: every
// write goes through c's loop with Submit. It stops at the first error:
// ErrClosed from Write once c is closing or closed, or ErrClosed from
// Submit once the loop has stopped.
func (t ticker) push(c *netpoll.Conn) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	written := make(chan error, 1)
	for n := 1; ; n++ {
		<-tick.C
		line := fmt.Sprintf("tick %d\n", n)
		err := c.Loop().Submit(func() {
			_, err := c.Write([]byte(line))
			written <- err
		})
		if err == nil {
			err = <-written
		}
		if err != nil {
			t.stopped <- err
			return
		}
	}
}

// Writing to a connection from another goroutine: the goroutine hands
// each write to the connection's loop with Submit, and stops when the
// write reports that the connection has closed.
func ExampleLoop_Submit() {
	h := ticker{stopped: make(chan error, 1)}
	srv, err := netpoll.Listen("tcp", "127.0.0.1:0", h, netpoll.Config{Loops: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Shutdown(context.Background())

	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for range 3 {
		line, _ := r.ReadString('\n')
		fmt.Print(line)
	}
	// Ask the server to close, and read what the pusher sent meanwhile
	// until the server's FIN.
	fmt.Fprint(c, "stop\n")
	_, _ = io.Copy(io.Discard, r)
	fmt.Println("pusher stopped:", <-h.stopped)
	// Output:
	// tick 1
	// tick 2
	// tick 3
	// pusher stopped: netpoll: connection or loop closed
}
