package cref

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rawnet/rawnet/bench"
)

// startURing builds the io_uring reference server and starts it with
// args, skipping the test when there is no C compiler or no liburing.
func startURing(t *testing.T, ctx context.Context, network string, args ...string) *refServer {
	t.Helper()
	if err := HasLiburing(ctx); errors.Is(err, ErrNoCompiler) || errors.Is(err, ErrNoLiburing) {
		t.Skip(err)
	} else if err != nil {
		t.Fatal(err)
	}
	return startServer(t, ctx, BuildURing, URingName, network, args...)
}

// echoConn writes data to addr over one connection in random segments
// while a second goroutine reads the echo, then shuts its side down and
// reads until the server closes. It returns what came back.
func echoConn(ctx context.Context, addr string, data []byte, rng *rand.Rand, maxSeg int) ([]byte, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	if err := c.SetDeadline(deadline); err != nil {
		return nil, err
	}
	type result struct {
		b   []byte
		err error
	}
	got := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(c) // until the server closes: EOF
		got <- result{b, err}
	}()
	var werr error
	for off := 0; off < len(data) && werr == nil; {
		n := min(1+rng.IntN(maxSeg), len(data)-off)
		_, werr = c.Write(data[off : off+n])
		off += n
	}
	if werr == nil {
		werr = c.(*net.TCPConn).CloseWrite()
	}
	r := <-got
	return r.b, errors.Join(werr, r.err)
}

func TestURingServerEchoesSegmented(t *testing.T) {
	const (
		conns = 8
		size  = 256 << 10
	)
	for _, tt := range []struct {
		name string
		args []string
		dry  bool
	}{
		{name: "default buffers"},
		// Two buffers for eight busy connections: the ring runs dry
		// over and over, and every recv that ends with ENOBUFS must
		// be re-armed without losing or reordering a byte.
		{name: "ring run dry", args: []string{"--bufs", "2"}, dry: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := startURing(t, ctx, "tcp", tt.args...)
			seed := time.Now().UnixNano()
			t.Logf("seed %d", seed)
			var wg sync.WaitGroup
			errs := make([]error, conns)
			for i := range conns {
				rng := rand.New(rand.NewPCG(uint64(seed), uint64(i)))
				data := make([]byte, size)
				for j := range data {
					data[j] = byte(rng.Uint32())
				}
				wg.Go(func() {
					got, err := echoConn(ctx, s.addr, data, rng, 8192)
					switch {
					case err != nil:
						errs[i] = err
					case !bytes.Equal(got, data):
						errs[i] = fmt.Errorf("connection %d: echo differs (%d bytes back of %d)", i, len(got), len(data))
					}
				})
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			var accepted, in, out, enobufs int
			totals := s.stop(t)
			if _, err := fmt.Sscanf(totals, "totals: accepted=%d bytes_in=%d bytes_out=%d enobufs=%d", &accepted, &in, &out, &enobufs); err != nil {
				t.Fatalf("totals %q: %v", totals, err)
			}
			if accepted != conns || in != conns*size || out != conns*size {
				t.Fatalf("totals %q, want %d connections and %d bytes each way", totals, conns, conns*size)
			}
			if tt.dry && enobufs == 0 {
				t.Fatalf("totals %q: the ring never ran dry", totals)
			}
		})
	}
}

func TestURingServerHalfClose(t *testing.T) {
	// The client sends everything and shuts its side down before it
	// reads a byte, so the server sees the end of input while most of
	// the echo is still queued: all of it must come back, then EOF.
	// 48 KiB fits in the sockets' buffers, so the client's writes cannot
	// block on a server that waits for it to read, and in 48 of the
	// server's 2048 provided buffers, so its ring never runs dry.
	const size = 48 << 10
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := startURing(t, ctx, "tcp")
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	for off := 0; off < size; off += 1000 {
		if _, err := c.Write(data[off:min(off+1000, size)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read after half-close: %v (after %d bytes), want EOF", err, len(got))
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("echo differs: %d bytes back of %d", len(got), size)
	}
	want := fmt.Sprintf("totals: accepted=1 bytes_in=%d bytes_out=%d enobufs=0", size, size)
	if got := s.stop(t); got != want {
		t.Fatalf("totals %q, want %q", got, want)
	}
}

// openFDs counts the descriptors process pid has open.
func openFDs(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestURingServerSurvivesResets(t *testing.T) {
	// Clients that send and then reset their connections (SO_LINGER 0)
	// without reading fail the server's sends and recvs: it must drop
	// each such connection, close its descriptor, and go on serving.
	const resets = 20
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := startURing(t, ctx, "tcp")
	pid := s.cmd.Process.Pid
	base := openFDs(t, pid)
	data := bytes.Repeat([]byte("reset me "), 8<<10)
	var d net.Dialer
	for range resets {
		c, err := d.DialContext(ctx, "tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := c.(*net.TCPConn).SetLinger(0); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// A connection after them is served in full, and, the listener
	// being first in, first out, accepted after every reset one.
	got, err := echoConn(ctx, s.addr, data, rand.New(rand.NewPCG(3, 4)), 4096)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("echo after resets: %v, %d bytes back of %d", err, len(got), len(data))
	}
	// The server closes a reset connection when its last request ends,
	// which no client event marks: poll /proc, bounded, for the count
	// to come back.
	n := openFDs(t, pid)
	for i := 0; i < 1000 && n != base; i++ {
		time.Sleep(10 * time.Millisecond)
		n = openFDs(t, pid)
	}
	if n != base {
		t.Fatalf("server holds %d descriptors after the resets, %d before", n, base)
	}
	totals := s.stop(t)
	if !strings.HasPrefix(totals, fmt.Sprintf("totals: accepted=%d ", resets+1)) {
		t.Fatalf("totals %q, want %d connections accepted", totals, resets+1)
	}
}

func TestURingServerEchoesUDP(t *testing.T) {
	const (
		sockets = 4
		count   = 500
		size    = 64
	)
	for _, tt := range []struct {
		name string
		args []string
	}{
		{name: "default buffers"},
		// Four buffers for sixteen datagrams in flight: the recvmsg
		// ends with ENOBUFS and waits, the datagrams in the socket.
		{name: "ring run dry", args: []string{"--bufs", "4"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			s := startURing(t, ctx, "udp", append([]string{"--udp", "--rcvbuf", "262144"}, tt.args...)...)
			// A second of loss timeout: no loopback echo takes that
			// long, so any loss is the server's.
			res, err := bench.Run(ctx, bench.Config{Network: "udp", Addr: s.addr, Conns: sockets, Depth: 4,
				Count: count, Timeout: time.Second, HoldCPU: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.UDP == nil || res.UDP.Received != sockets*count || res.UDP.Lost != 0 {
				t.Fatalf("udp accounting %+v, want all %d datagrams echoed", res.UDP, sockets*count)
			}
			// Whether the small ring ran dry depends on how many
			// datagrams a wake-up finds, so enobufs is not checked.
			want := fmt.Sprintf("totals: datagrams=%d bytes_in=%d bytes_out=%d dropped=0 enobufs=",
				sockets*count, sockets*count*size, sockets*count*size)
			if got := s.stop(t); !strings.HasPrefix(got, want) {
				t.Fatalf("totals %q, want %q<count>", got, want)
			}
		})
	}
}

func TestURingServerUDPPayloads(t *testing.T) {
	// Datagrams of every size class, up to the largest IPv4 payload
	// (65,507 bytes, udp(7)), come back byte for byte to their sender.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := startURing(t, ctx, "udp", "--udp")
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, 64, 1472, 9000, 65507}
	for range 50 {
		sizes = append(sizes, rng.IntN(65508))
	}
	buf := make([]byte, 65536)
	total := 0
	for _, n := range sizes {
		msg := make([]byte, n)
		for j := range msg {
			msg[j] = byte(rng.Uint32())
		}
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		got, err := c.Read(buf)
		if err != nil {
			t.Fatalf("%d-byte datagram: %v", n, err)
		}
		if !bytes.Equal(buf[:got], msg) {
			t.Fatalf("%d-byte datagram came back as %d bytes, or differs", n, got)
		}
		total += n
	}
	want := fmt.Sprintf("totals: datagrams=%d bytes_in=%d bytes_out=%d dropped=0 enobufs=0", len(sizes), total, total)
	if got := s.stop(t); got != want {
		t.Fatalf("totals %q, want %q", got, want)
	}
}

func TestURingServerRejectsBadFlags(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := HasLiburing(ctx); errors.Is(err, ErrNoCompiler) || errors.Is(err, ErrNoLiburing) {
		t.Skip(err)
	}
	bin := filepath.Join(t.TempDir(), "echo-curing")
	if err := BuildURing(ctx, bin); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--udp", "--bogus"}, {"--bufs", "3"}, {"--bufs", "65536"}} {
		err := exec.CommandContext(ctx, bin, args...).Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Errorf("%q: %v, want exit status 2", args, err)
		}
	}
}

func TestBuildURingWithoutLiburing(t *testing.T) {
	cc, err := Compiler()
	if err != nil {
		t.Skip(err)
	}
	// A compiler that searches no system include directory finds no
	// liburing.h, as on a machine without liburing-dev.
	wrapper := filepath.Join(t.TempDir(), "cc-nostdinc")
	script := "#!/bin/sh\nexec '" + cc + "' -nostdinc \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CC", wrapper)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "echo-curing")
	if err := BuildURing(ctx, out); !errors.Is(err, ErrNoLiburing) {
		t.Fatalf("BuildURing without liburing.h: %v, want ErrNoLiburing", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("BuildURing without liburing.h left %s (%v)", out, err)
	}
}
