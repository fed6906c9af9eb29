package main

import (
	"fmt"
	"os"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/proc"
	"github.com/rawnet/rawnet/internal/cpuset"
)

// pickCPUs returns the CPU sets of the servers and the client, for matrix
// and scale alike: the lists given, else the CPUs this process may use
// split in two halves, servers on the last half. With one CPU nothing is
// pinned that was not given.
func pickCPUs(server, client string) (serverCPUs, clientCPUs []int, err error) {
	if server != "" {
		if serverCPUs, err = cpuset.Parse(server); err != nil {
			return nil, nil, fmt.Errorf("--server-cpus: %w", err)
		}
	}
	if client != "" {
		if clientCPUs, err = cpuset.Parse(client); err != nil {
			return nil, nil, fmt.Errorf("--client-cpus: %w", err)
		}
	}
	if server != "" && client != "" {
		return serverCPUs, clientCPUs, nil
	}
	allowed, err := proc.Allowed()
	if err != nil || len(allowed) < 2 {
		if len(allowed) < 2 {
			fmt.Fprintln(os.Stderr, "echo-bench: one CPU: client and servers share it, so figures are not comparable with pinned runs")
		}
		return serverCPUs, clientCPUs, nil
	}
	half := len(allowed) / 2
	if server == "" {
		serverCPUs = allowed[half:]
	}
	if client == "" {
		clientCPUs = allowed[:half]
	}
	return serverCPUs, clientCPUs, nil
}
