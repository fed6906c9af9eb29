//go:build linux

package uring

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Probe reports which opcodes the kernel supports
// (IORING_REGISTER_PROBE, 5.6).
type Probe struct {
	ops [opLast + 1]bool
}

// Supports reports whether opcode op is supported.
func (p *Probe) Supports(op uint8) bool { return int(op) < len(p.ops) && p.ops[op] }

// Probe asks the kernel which opcodes r supports.
func (r *Ring) Probe() (*Probe, error) {
	const n = 256
	var buf [unsafe.Sizeof(probeHeader{}) + n*unsafe.Sizeof(probeOp{})]byte
	if errno := register(r.fd, registerProbe, unsafe.Pointer(&buf[0]), n); errno != 0 {
		return nil, os.NewSyscallError("io_uring_register", errno)
	}
	h := (*probeHeader)(unsafe.Pointer(&buf[0]))
	ops := unsafe.Slice((*probeOp)(unsafe.Pointer(&buf[unsafe.Sizeof(probeHeader{})])), n)
	p := new(Probe)
	for _, o := range ops[:h.opsLen] {
		if int(o.op) < len(p.ops) && o.flags&probeOpSupported != 0 {
			p.ops[o.op] = true
		}
	}
	return p, nil
}

// needed are the opcodes netpoll's completion backend submits.
var needed = []struct {
	op   uint8
	name string
}{
	{OpAccept, "IORING_OP_ACCEPT"},
	{OpRecv, "IORING_OP_RECV"},
	{OpSend, "IORING_OP_SEND"},
	{OpSendmsg, "IORING_OP_SENDMSG"},
	{OpPollAdd, "IORING_OP_POLL_ADD"},
	{OpTimeout, "IORING_OP_TIMEOUT"},
	{OpAsyncCancel, "IORING_OP_ASYNC_CANCEL"},
}

// Check reports whether this process may use everything the completion
// backend needs, and if not, why, in one line: io_uring switched off by
// the kernel.io_uring_disabled sysctl, io_uring_setup denied (a seccomp
// filter, such as the default profiles of Docker and containerd since
// 2023, or the sysctl's group restriction), a kernel without io_uring,
// without an opcode, without provided buffer rings (5.19) or without
// multishot recv (6.0). It sets up a ring, registers a buffer ring and
// runs a multishot recv over a socket pair: the last is the only way
// to learn whether the kernel keeps a recv armed, since the probe lists
// opcodes, not their flags. It locks the calling goroutine to its
// thread while it runs.
func Check() error {
	disabled := sysctlDisabled()
	if disabled == "2" {
		return errors.New("io_uring is switched off (sysctl kernel.io_uring_disabled=2)")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r, err := New(Options{Entries: 8})
	if err != nil {
		var errno unix.Errno
		errors.As(err, &errno)
		switch {
		case errno == unix.EPERM && disabled == "1":
			return fmt.Errorf("%w: kernel.io_uring_disabled=1 allows it only to members of kernel.io_uring_group", err)
		case errno == unix.EPERM:
			return fmt.Errorf("%w: denied by a seccomp filter (container runtimes' default profiles deny io_uring)", err)
		case errno == unix.ENOSYS:
			return fmt.Errorf("%w: the kernel has no io_uring, or a seccomp filter hides it", err)
		}
		return err
	}
	defer r.Close()
	p, err := r.Probe()
	if err != nil {
		return fmt.Errorf("%w: opcode probe (Linux 5.6)", err)
	}
	var missing []string
	for _, n := range needed {
		if !p.Supports(n.op) {
			missing = append(missing, n.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the kernel lacks %s", strings.Join(missing, ", "))
	}
	b, err := NewBufRing(r, 0, 8, 8, 64)
	if err != nil {
		return fmt.Errorf("%w: no provided buffer rings (Linux 5.19)", err)
	}
	defer b.Close(r)
	if err := r.Enable(); err != nil {
		return err
	}
	return checkMultishotRecv(r, b)
}

// checkMultishotRecv arms a multishot recv on one end of a socket pair,
// writes to the other and expects a completion that stays armed.
func checkMultishotRecv(r *Ring, b *BufRing) error {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return os.NewSyscallError("socketpair", err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	PrepRecvMultishot(r.SQE(), fds[0], b.Group(), 0, 1)
	if _, err := unix.Write(fds[1], []byte{1}); err != nil {
		return os.NewSyscallError("write", err)
	}
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if err := r.Enter(1, 100*time.Millisecond); err != nil {
			return err
		}
		head, tail := r.Peek()
		if head == tail {
			continue
		}
		c := *r.CQE(head)
		r.Advance(head + 1)
		switch {
		case c.Res == -int32(unix.EINVAL):
			return errors.New("the kernel has no multishot recv (IORING_RECV_MULTISHOT, Linux 6.0)")
		case c.Res < 0:
			return os.NewSyscallError("io_uring recv", unix.Errno(-c.Res))
		case c.Flags&CQEFMore == 0 || c.Flags&CQEFBuffer == 0:
			return errors.New("the kernel ended a multishot recv after one completion (IORING_RECV_MULTISHOT, Linux 6.0)")
		}
		return nil
	}
	return errors.New("a multishot recv over a socket pair did not complete within a second")
}

// sysctlDisabled returns kernel.io_uring_disabled (6.6), or "" where
// the kernel has no such sysctl.
func sysctlDisabled() string {
	b, err := os.ReadFile("/proc/sys/kernel/io_uring_disabled")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
