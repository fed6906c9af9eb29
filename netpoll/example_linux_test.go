//go:build linux

package netpoll_test

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/rawnet/rawnet/netpoll"
)

// echo writes back every byte it receives. Writing data itself is fine:
// Write sends it at once and copies only what the socket did not take.
type echo struct{}

func (echo) OnOpen(c *netpoll.Conn) {}

func (echo) OnData(c *netpoll.Conn, data []byte) int {
	_, _ = c.Write(data)
	return len(data)
}

func (echo) OnClose(c *netpoll.Conn, err error) {}

func Example() {
	srv, err := netpoll.Listen("tcp", "127.0.0.1:0", echo{}, netpoll.Config{Loops: 2})
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
	fmt.Fprint(c, "hello, reactor")
	reply := make([]byte, len("hello, reactor"))
	if _, err := io.ReadFull(c, reply); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(reply))
	// Output: hello, reactor
}
