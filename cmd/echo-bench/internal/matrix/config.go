// Package matrix runs rawnet's engines side by side: it starts one server
// process per engine (plus the C reference), pins servers and client to
// separate CPUs, runs every cell of connections x sizes x depth against
// every engine with the order rotating, repeats each cell, and measures
// the servers from /proc while the load generator measures the traffic.
package matrix

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Config describes a matrix. Fields left zero take the defaults of
// Default, which is what `make bench` runs.
type Config struct {
	// BinDir holds echo-tcp and echo-udp, and receives echo-cref and
	// echo-curing.
	BinDir string
	// Engines to run; nil means every engine echo-tcp --list-engines
	// names. The C reference (cref) is added unless NoCRef is set; the C
	// io_uring reference (curing) runs only when named here.
	Engines []string
	// NoCRef leaves the C reference servers out.
	NoCRef bool
	// Variants are engines started with settings of their own, run
	// after Engines under their own names.
	Variants []Variant
	// Works is the work axis: every cell runs once per work, with every
	// server started with --work set to it ("none" is no work, and
	// "cpu:20us,sleep:5ms@1%" one work of two terms). The servers are
	// restarted for each work, so a cell's RSS and threads are those of
	// its work. Nil means no work axis: the servers get no --work. The C
	// reference has no handler work, so it runs only the cells without.
	Works []string
	// Conns, Sizes and Depths span the TCP cells.
	Conns, Sizes, Depths []int
	// UDPConns x UDPDepths, at UDPSize, span the UDP cells; UDPConns
	// nil means no UDP cell.
	UDPConns  []int
	UDPSize   int
	UDPDepths []int
	// UDPRecvBuf is the SO_RCVBUF every UDP server asks for (--rcvbuf);
	// 0 keeps the kernel's default.
	UDPRecvBuf int
	// Duration and Warmup are per run.
	Duration, Warmup time.Duration
	// DrainTimeout bounds the wait for the echoes still in flight when a
	// TCP run stops sending; 0 means the load generator's default
	// (bench.DefaultTCPTimeout). A server that blocks on each frame needs
	// more: an event loop that sleeps 1 ms per frame takes 5 s to answer
	// 5,000 connections once.
	DrainTimeout time.Duration
	// Repeats is how many times each cell runs per engine.
	Repeats int
	// CountSyscalls adds one more run per cell and engine in which every
	// system call and context switch of the server is counted with
	// perf_event_open(2); those runs give the syscall and context switch
	// figures and nothing else, because counting slows system calls.
	CountSyscalls bool
	// IdleConns is the number of idle connections of the memory phase;
	// 0 skips it.
	IdleConns int
	// IdleSettle is how long the memory phase holds its connections
	// idle, after their echoes, before it reads the server's memory: 0
	// reads it at once, which counts what the server still holds from
	// the burst of echoes; a server that gives memory back once idle
	// shows it only after a settle.
	IdleSettle time.Duration
	// ServerCPUs and ClientCPUs pin the two sides; nil leaves that side
	// unpinned.
	ServerCPUs, ClientCPUs []int
	// LogDir receives each server's stderr.
	LogDir string
	// Progress, when set, is told about each step as it starts.
	Progress func(Progress)
	// Log, when set, receives notes as they happen.
	Log io.Writer
}

// Progress reports where a matrix is.
type Progress struct {
	// Done and Total count steps: idle phases and runs.
	Done, Total int
	// Label says what runs now.
	Label string
}

// Default returns the matrix `make bench` runs: a few minutes on two cores.
func Default() Config {
	return Config{
		BinDir: "bin",
		Conns:  []int{1, 50},
		Sizes:  []int{64, 1024},
		Depths: []int{1, 16},
		// One datagram in flight per socket is request/response (DNS
		// style), where a wake-up finds few datagrams; 16 in flight is
		// where batching and segmentation offload pay.
		UDPConns:  []int{1, 50},
		UDPSize:   64,
		UDPDepths: []int{1, 16},
		// 50 sockets × 16 datagrams overflow the default 208 KiB receive
		// buffer: the kernel charges each datagram its buffer's truesize
		// (832 bytes for 64 bytes of payload on Linux 6.18), so 256 fit.
		// 2 MiB (doubled by the kernel, socket(7)) holds them.
		UDPRecvBuf: 2 << 20,
		Duration:   2 * time.Second,
		Warmup:     500 * time.Millisecond,
		Repeats:    3,
		IdleConns:  10000,
	}
}

// validate rejects a config that cannot run.
func (c Config) validate() error {
	if len(c.Conns) == 0 || len(c.Sizes) == 0 || len(c.Depths) == 0 {
		return fmt.Errorf("matrix: conns, sizes and depths need at least one value each")
	}
	for _, v := range [][]int{c.Conns, c.Sizes, c.Depths, c.UDPConns, c.UDPDepths} {
		for _, x := range v {
			if x <= 0 {
				return fmt.Errorf("matrix: conns, sizes and depths must be positive")
			}
		}
	}
	if c.Repeats <= 0 || c.Duration <= 0 || c.Warmup < 0 || c.IdleConns < 0 || c.IdleSettle < 0 || c.DrainTimeout < 0 {
		return fmt.Errorf("matrix: repeats and duration must be positive, warmup, drain timeout and idle conns not negative")
	}
	for i, w := range c.Works {
		if strings.TrimSpace(w) != w || w == "" || strings.Contains(w, ";") {
			return fmt.Errorf("matrix: work %q: want one --work spec, trimmed, such as none or cpu:20us,sleep:5ms@1%%", w)
		}
		if slices.Contains(c.Works[:i], w) {
			return fmt.Errorf("matrix: work %q given twice", w)
		}
	}
	for i, v := range c.Variants {
		for _, w := range c.Variants[:i] {
			if w.Name == v.Name {
				return fmt.Errorf("matrix: two variants named %q", v.Name)
			}
		}
		for _, e := range c.Engines {
			if e == v.Name {
				return fmt.Errorf("matrix: variant %q has the name of an engine", v.Name)
			}
		}
	}
	if len(c.UDPConns) > 0 && (c.UDPSize <= 0 || len(c.UDPDepths) == 0) {
		return fmt.Errorf("matrix: UDP cells need a positive size and at least one depth")
	}
	return nil
}

// NoWork is how a work axis names the empty echo, as --work reads it.
const NoWork = "none"

// HasWork reports whether a cell's work makes the server do anything: not
// "" (no work axis) and not NoWork.
func HasWork(work string) bool { return work != "" && work != NoWork }
