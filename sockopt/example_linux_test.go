package sockopt_test

import (
	"context"
	"fmt"
	"net"

	"github.com/rawnet/rawnet/sockopt"
)

// Two listeners share one port through SO_REUSEPORT, set by Control before
// bind; the kernel spreads incoming connections among them.
func ExampleOptions_Control() {
	opts := sockopt.Options{ReusePort: true}
	lc := net.ListenConfig{Control: opts.Control}
	a, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	b, err := lc.Listen(context.Background(), "tcp4", a.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	rc, err := b.(*net.TCPListener).SyscallConn()
	if err != nil {
		fmt.Println(err)
		return
	}
	g, err := sockopt.ReadRawConn(rc)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("same port:", a.Addr().String() == b.Addr().String())
	fmt.Println("reuseaddr:", g.ReuseAddr, "reuseport:", g.ReusePort)
	// Output:
	// same port: true
	// reuseaddr: true reuseport: true
}

// ApplyRawConn tunes a connection accepted by the net package.
func ExampleOptions_ApplyRawConn() {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	client, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	conn, err := ln.Accept()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()

	rc, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := (sockopt.Options{Nagle: true}).ApplyRawConn(rc); err != nil {
		fmt.Println(err)
		return
	}
	g, err := sockopt.ReadRawConn(rc)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("nodelay:", g.NoDelay, "keepalive:", g.KeepAlive)
	// Output:
	// nodelay: false keepalive: false
}
