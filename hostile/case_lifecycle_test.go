//go:build linux

package hostile

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/rawnet/rawnet/engine/enginetest"
)

// restartCase serves traffic on the echo-tcp binary, leaves connections
// open, stops it with SIGTERM and at once starts a new one on the same
// port: the bind must succeed although the old connections linger in
// TIME_WAIT, and the new server must serve.
func restartCase(t tb, x *env) {
	bin, _ := binaries(t)
	first := startProc(t, x, bin, "--addr", "127.0.0.1:0", "--shutdown-timeout", "2s")
	var open []net.Conn
	for range 8 {
		c := dial(t, first.addr)
		if err := echo(c, bytes.Repeat(ping, 1000)); err != nil {
			t.Fatalf("echo on the first server: %v", err)
		}
		open = append(open, c)
	}
	// Close half from the client side, so both sides have TIME_WAIT
	// sockets on the port.
	for _, c := range open[:4] {
		c.Close()
	}
	first.terminate(t, patience)
	second := startProc(t, x, bin, "--addr", first.addr)
	if second.addr != first.addr {
		t.Errorf("restarted server listens on %s, want %s", second.addr, first.addr)
	}
	if err := echo(dial(t, second.addr), ping); err != nil {
		t.Errorf("echo on the restarted server: %v", err)
	}
	second.terminate(t, patience)
}

// sigtermCase sends SIGTERM to the echo-tcp binary while one client's
// 8 MiB are still being echoed and another client has stopped reading
// with its output stuck: the first client's echo must arrive byte-exact
// and end with EOF, the stuck one must be closed once --shutdown-timeout
// has passed, and the process must exit 0 with a totals line soon after.
func sigtermCase(t tb, x *env) {
	const size, drain = 8 << 20, time.Second
	bin, _ := binaries(t)
	p := startProc(t, x, bin, "--addr", "127.0.0.1:0", "--shutdown-timeout", drain.String(), "--write-limit", "256KiB")
	stuck := dial(t, p.addr)
	if sent, err := fillUntilBlocked(stuck, make([]byte, 64<<10), 512<<20, 500*time.Millisecond); err != nil {
		t.Fatalf("filling the stuck connection after %d bytes: %v", sent, err)
	}
	good := dial(t, p.addr)
	src := rand.NewChaCha8(seed32(newRand(t)))
	wrote := sendAndClose(good, src, size, false)
	// Read a first part of the echo slowly, then signal with the rest
	// in flight.
	first := make([]byte, 1<<20)
	good.SetReadDeadline(time.Now().Add(patience))
	if _, err := io.ReadFull(good, first); err != nil {
		t.Fatalf("first MiB of the echo: %v", err)
	}
	var took time.Duration
	var totals map[string]uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		took, totals = p.terminate(t, drain+patience)
	}()
	h := sha256.New()
	h.Write(first)
	rest, n, rerr := hashReaderInto(good, h, patience)
	w := <-wrote
	wg.Wait()
	if w.err != nil {
		t.Fatalf("sending %d bytes: %v", size, w.err)
	}
	if !errors.Is(rerr, io.EOF) {
		t.Errorf("echo ended with %v after %d of %d bytes, want EOF", rerr, len(first)+n, w.n)
	}
	if len(first)+n != w.n || !bytes.Equal(rest, w.sum) {
		t.Errorf("echo drained after SIGTERM: %d bytes, want %d byte-exact", len(first)+n, w.n)
	}
	if m, err := readToEnd(stuck, patience); !enginetest.IsClosed(err) {
		t.Errorf("stuck connection after shutdown: %d bytes then %v, want it closed", m, err)
	}
	x.note(t, "exit %v after SIGTERM", took.Round(10*time.Millisecond))
	if took < drain-100*time.Millisecond {
		t.Errorf("exited %v after SIGTERM with a connection that could not drain; want it kept for --shutdown-timeout %v", took, drain)
	}
	if totals == nil {
		t.Errorf("no totals")
	}
}

// udpOversizeCase runs the echo-udp binary with a small --udp-buffer and
// sends a datagram that fits, then 9000 and 65507 bytes, then one that
// fits again: both small ones come back exactly, the large ones never
// come back in any form, and the totals count them as truncated.
func udpOversizeCase(t tb, x *env) {
	_, bin := binaries(t)
	p := startProc(t, x, bin, "--addr", "127.0.0.1:0", "--udp-buffer", "4096")
	raddr, err := net.ResolveUDPAddr("udp", p.addr)
	if err != nil {
		t.Fatalf("%v", err)
	}
	c, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	small := bytes.Repeat([]byte("s"), 100)
	sent := [][]byte{small, bytes.Repeat([]byte("m"), 9000), bytes.Repeat([]byte("L"), 65507), small}
	for _, d := range sent {
		if _, err := c.Write(d); err != nil {
			t.Fatalf("send %d bytes: %v", len(d), err)
		}
	}
	buf := make([]byte, 70000)
	var got []int
	for {
		c.SetReadDeadline(time.Now().Add(time.Second))
		n, err := c.Read(buf)
		if err != nil {
			break
		}
		got = append(got, n)
		if !bytes.Equal(buf[:n], small) {
			t.Errorf("echoed a %d-byte datagram that is not the 100-byte one sent (%q...)", n, buf[:min(n, 8)])
		}
	}
	if len(got) != 2 {
		t.Errorf("got datagrams of %v bytes back, want two of 100", got)
	}
	_, totals := p.terminate(t, patience)
	if totals["truncated"] < 2 {
		t.Errorf("totals count %d truncated datagrams, want 2: %v", totals["truncated"], totals)
	}
}

// udpPublicCase checks the guard against reflection: binding echo-udp
// beyond loopback without --allow-public exits 2 naming the flag, and
// with it the server starts and warns about reflection on stderr. The
// public bind happens inside a network namespace the case creates, so no
// socket is ever open on the host's interfaces.
func udpPublicCase(t tb, x *env) {
	_, bin := binaries(t)
	out, err := exec.Command(bin, "--engine", x.name, "--addr", "0.0.0.0:0").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "--allow-public") {
		t.Errorf("echo-udp --addr 0.0.0.0:0: exit %v, output %q; want exit 2 naming --allow-public", err, out)
	}
	ns := newNetns(t)
	p := startCmd(t, ns.command(bin, "--engine", x.name, "--addr", "0.0.0.0:0", "--allow-public"))
	if !strings.HasPrefix(p.addr, "0.0.0.0:") && !strings.HasPrefix(p.addr, "[::]:") {
		t.Errorf("listening on %s, want the wildcard address", p.addr)
	}
	p.terminate(t, patience)
	if !strings.Contains(strings.ToLower(strings.Join(p.stderr.all(), "\n")), "reflect") {
		t.Errorf("--allow-public on 0.0.0.0: no warning about reflection on stderr: %q", p.stderr.all())
	}
	d := startCmd(t, ns.command(bin, "--engine", x.name))
	if d.addr != "127.0.0.1:9001" {
		t.Errorf("echo-udp without --addr listens on %s, want the loopback default 127.0.0.1:9001", d.addr)
	}
	d.terminate(t, patience)
}
