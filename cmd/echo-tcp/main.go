// Command echo-tcp serves TCP echo and framed protocols on any of rawnet's
// concurrency models. Run `echo-tcp --help` for its flags.
package main

import "github.com/rawnet/rawnet/internal/cli"

func main() {
	cli.Main(cli.Command{Name: "echo-tcp", Network: "tcp", DefaultAddr: "127.0.0.1:9000"})
}
