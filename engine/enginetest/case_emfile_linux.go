//go:build linux

package enginetest

import (
	"net"
	"os"
	"syscall"
	"time"

	"github.com/rawnet/rawnet/engine"
)

// EMFILE case bounds: how long accept is kept failing, and the retry rate
// above which an accept loop counts as spinning. A loop that retries at
// once fails tens of thousands of times a second; one that backs off, as
// net/http does from 5ms doubling to 1s, a handful of times in all.
const (
	emfileHold    = 200 * time.Millisecond
	emfileMaxRate = 1000 // failed accepts per second
	emfileAllowed = 10   // failed accepts allowed on top of the rate
)

// emfileCase checks that running out of file descriptors does not spin
// the accept loop or stop the server: accept failures are counted, and
// the connection that waited in the backlog is served once descriptors
// are available again.
//
// It lowers RLIMIT_NOFILE for the whole process to the lowest free
// descriptor, so that no new descriptor can be allocated while existing
// ones keep working (getrlimit(2): the limit is one greater than the
// largest descriptor that may be opened), and restores it at once.
func emfileCase(t tb, e engine.Engine) {
	srv := start(t, e, engine.Config{})
	addr, ok := srv.Addr().(*net.TCPAddr)
	if !ok || addr.IP.To4() == nil {
		t.Fatalf("Addr() = %v, want a TCP address on IPv4", srv.Addr())
	}
	if err := echo(dial(t, srv), ping); err != nil {
		t.Fatalf("echo before the descriptor limit: %v", err)
	}
	// The client socket exists before the limit drops; connect needs no
	// new descriptor.
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	client := os.NewFile(uintptr(fd), "client")
	t.Cleanup(func() { client.Close() })
	lowest, err := syscall.Dup(fd)
	if err != nil {
		t.Fatalf("dup: %v", err)
	}
	syscall.Close(lowest)
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatalf("getrlimit: %v", err)
	}
	restore := func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
			t.Errorf("restoring RLIMIT_NOFILE: %v", err)
		}
	}
	low := old
	low.Cur = uint64(lowest)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatalf("setrlimit: %v", err)
	}
	failures, held, cerr := exhaust(srv, fd, addr)
	restore()
	if cerr != nil {
		t.Fatalf("connect: %v", cerr)
	}
	if st := srv.Stats(); !st.Unknown.Has(engine.UnknownEMFILE) && st.Errors.EMFILE < 1 {
		t.Errorf("accept with no descriptor left: Errors.EMFILE not counted (stats %+v)", st.Errors)
	}
	if allowed := emfileAllowed + uint64(held.Seconds()*emfileMaxRate); failures == 0 {
		t.Errorf("accept with no descriptor left: Errors.Accept not counted within %v", patience)
	} else if failures > allowed {
		t.Errorf("accept failed %d times in %v with no descriptor left, over %d: the accept loop does not back off",
			failures, held, allowed)
	}
	c, err := net.FileConn(client)
	if err != nil {
		t.Fatalf("client connection: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := echo(c, ping); err != nil {
		t.Errorf("connection that waited while descriptors ran out: %v", err)
	}
}

// exhaust connects fd to addr while no descriptor is free, waits for the
// server to count a failed accept, keeps the shortage for emfileHold and
// returns how many failed accepts were counted and over how long. It
// calls nothing that may need a descriptor.
func exhaust(srv engine.Server, fd int, addr *net.TCPAddr) (uint64, time.Duration, error) {
	sa := &syscall.SockaddrInet4{Port: addr.Port}
	copy(sa.Addr[:], addr.IP.To4())
	began := time.Now()
	if err := syscall.Connect(fd, sa); err != nil {
		return 0, 0, os.NewSyscallError("connect", err)
	}
	if !pollUntil(patience, func() bool { return srv.Stats().Errors.Accept >= 1 }) {
		return 0, time.Since(began), nil
	}
	<-time.After(emfileHold)
	return srv.Stats().Errors.Accept, time.Since(began), nil
}
