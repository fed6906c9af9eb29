// Command echo-udp serves UDP echo, one datagram per frame, on any of
// rawnet's concurrency models. Run `echo-udp --help` for its flags.
package main

import "github.com/rawnet/rawnet/internal/cli"

func main() {
	cli.Main(cli.Command{Name: "echo-udp", Network: "udp", DefaultAddr: "127.0.0.1:9001"})
}
