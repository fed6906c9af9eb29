//go:build linux

package netpoll_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"

	"github.com/rawnet/rawnet/netpoll"
)

// numberLines answers every newline-terminated line with its number on
// the connection: "1: first", "2: second" and so on.
type numberLines struct{}

// lineCount is one connection's state. OnOpen attaches it with
// SetContext; only the connection's loop touches it, so it needs no lock.
type lineCount struct{ n int }

func (numberLines) OnOpen(c *netpoll.Conn) { c.SetContext(&lineCount{}) }

// OnData consumes whole lines only. An incomplete line at the end of data
// is left unconsumed: the loop keeps it and hands it in again, followed
// by the bytes that complete it, on the next call.
func (numberLines) OnData(c *netpoll.Conn, data []byte) int {
	count := c.Context().(*lineCount)
	consumed := 0
	for {
		i := bytes.IndexByte(data[consumed:], '\n')
		if i < 0 {
			return consumed
		}
		count.n++
		// data is only valid until OnData returns; Write copies what it
		// cannot send at once, so the reply may be built in a scratch
		// slice.
		_, _ = c.Write(fmt.Appendf(nil, "%d: %s\n", count.n, data[consumed:consumed+i]))
		consumed += i + 1
	}
}

func (numberLines) OnClose(c *netpoll.Conn, err error) {}

// A line protocol: OnData consumes only complete lines, leaving a partial
// one buffered by the loop, and each connection counts its own lines.
func ExampleHandler() {
	srv, err := netpoll.Listen("tcp", "127.0.0.1:0", numberLines{}, netpoll.Config{Loops: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Shutdown(context.Background())

	a, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	ra := bufio.NewReader(a)

	// "wor" is the start of a line: the server answers "hello" and keeps
	// "wor" until the rest arrives.
	fmt.Fprint(a, "hello\nwor")
	reply, _ := ra.ReadString('\n')
	fmt.Print("a ", reply)
	fmt.Fprint(a, "ld\nbye\n")
	for range 2 {
		reply, _ = ra.ReadString('\n')
		fmt.Print("a ", reply)
	}

	// Another connection counts from 1 again.
	b, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	fmt.Fprint(b, "other\n")
	reply, _ = bufio.NewReader(b).ReadString('\n')
	fmt.Print("b ", reply)
	// Output:
	// a 1: hello
	// a 2: world
	// a 3: bye
	// b 1: other
}
