// Command gorelay is the forwarder most Go programs would write: a
// goroutine per direction and io.Copy on Go's net package. It is the
// baseline docs/perf/relay measures relay-tcp against. io.Copy between
// two *net.TCPConn uses splice(2) on Linux by itself (net.TCPConn.ReadFrom,
// internal/poll's splice), through a pipe taken from a sync.Pool.
//
// Usage: gorelay LISTEN_ADDR UPSTREAM_ADDR
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"os"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gorelay LISTEN_ADDR UPSTREAM_ADDR")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on tcp %s\n", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go forward(c.(*net.TCPConn), os.Args[2])
	}
}

// forward pairs client with a new connection to upstream and copies
// both ways, passing each FIN on as a half-close.
func forward(client *net.TCPConn, upstream string) {
	defer client.Close()
	u, err := net.Dial("tcp", upstream)
	if err != nil {
		log.Print(err)
		return
	}
	up := u.(*net.TCPConn)
	defer up.Close()
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(up, client)
		_ = up.CloseWrite()
		close(done)
	}()
	_, _ = io.Copy(client, up)
	_ = client.CloseWrite()
	<-done
}
