//go:build linux

package netpoll_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"time"

	"github.com/rawnet/rawnet/netpoll"
)

// shout answers every datagram with its payload in upper case.
type shout struct{}

// OnPacket replies with a new slice, which Reply copies; replying with
// p.Data() itself, or part of it, would copy nothing. Neither p nor its
// data may be kept after OnPacket returns.
func (shout) OnPacket(p *netpoll.Packet) {
	p.Reply(bytes.ToUpper(p.Data()))
}

// A UDP server: one PacketHandler call per datagram, replies sent in
// batches once the handler has seen every datagram of a batch.
func ExampleListenPacket() {
	srv, err := netpoll.ListenPacket("udp", "127.0.0.1:0", shout{}, netpoll.Config{Loops: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Shutdown(context.Background())

	c, err := net.Dial("udp", srv.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	// UDP may lose a datagram, even over loopback in theory: bound the
	// wait rather than hang.
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	for _, msg := range []string{"ping", "hello, reactor"} {
		if _, err := c.Write([]byte(msg)); err != nil {
			fmt.Println(err)
			return
		}
		n, err := c.Read(buf)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(string(buf[:n]))
	}
	// Output:
	// PING
	// HELLO, REACTOR
}
