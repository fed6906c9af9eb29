//go:build linux && (amd64 || arm64)

package uring_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rawnet/rawnet/internal/cli"
)

// childEnv names the errno the child's seccomp filter answers
// io_uring_setup with; a test binary started with it set runs as the
// child (refusalChild).
const childEnv = "RAWNET_URING_REFUSAL_CHILD"

// auditArch is the architecture seccomp_data.arch reports for this build
// (linux/audit.h).
var auditArch = map[string]uint32{"amd64": unix.AUDIT_ARCH_X86_64, "arm64": unix.AUDIT_ARCH_AARCH64}[runtime.GOARCH]

// denyUring installs a seccomp filter on every thread of the process
// (SECCOMP_FILTER_FLAG_TSYNC) that fails io_uring_setup, io_uring_enter
// and io_uring_register with errno, as the default profiles of Docker
// and containerd do with EPERM (seccomp(2)). The filter is a classic BPF
// program over struct seccomp_data: nr at offset 0, arch at 4.
func denyUring(errno unix.Errno) error {
	const (
		ld   = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq  = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret  = unix.BPF_RET | unix.BPF_K
		deny = unix.SECCOMP_RET_ERRNO
	)
	prog := []unix.SockFilter{
		{Code: ld, K: 4},                        // A = arch
		{Code: jeq, K: auditArch, Jt: 1, Jf: 0}, // foreign arch: allow
		{Code: ret, K: unix.SECCOMP_RET_ALLOW},  //
		{Code: ld, K: 0},                        // A = nr
		{Code: jeq, K: unix.SYS_IO_URING_SETUP, Jt: 3},
		{Code: jeq, K: unix.SYS_IO_URING_ENTER, Jt: 2},
		{Code: jeq, K: unix.SYS_IO_URING_REGISTER, Jt: 1},
		{Code: ret, K: unix.SECCOMP_RET_ALLOW},
		{Code: ret, K: deny | uint32(errno)},
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return os.NewSyscallError("prctl", err)
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if e != 0 {
		return os.NewSyscallError("seccomp", e)
	}
	return nil
}

// refusalChild, in a test binary started with childEnv set, denies
// io_uring and runs echo-tcp's command line with the arguments after
// "--", exiting with its status. It returns false in any other process.
func refusalChild() bool {
	name := os.Getenv(childEnv)
	if name == "" {
		return false
	}
	errno := map[string]unix.Errno{"EPERM": unix.EPERM, "ENOSYS": unix.ENOSYS}[name]
	if err := denyUring(errno); err != nil {
		os.Stderr.WriteString("seccomp: " + err.Error() + "\n")
		os.Exit(3)
	}
	args := os.Args[1:]
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	cmd := cli.Command{Name: "echo-tcp", Network: "tcp", DefaultAddr: "127.0.0.1:0"}
	os.Exit(cli.Run(context.Background(), cmd, args, os.Stdout, os.Stderr))
	return true
}

// runDenied runs echo-tcp's command line in a child whose io_uring calls
// fail with errno.
func runDenied(t *testing.T, errno string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30e9)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), childEnv+"="+errno)
	var out, serr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &serr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), serr.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), serr.String()
}

func TestRefusedWhereIOUringIsDenied(t *testing.T) {
	for _, tc := range []struct {
		errno string
		cause string // what the line must name
	}{
		{errno: "EPERM", cause: "io_uring_setup: operation not permitted: denied by a seccomp filter"},
		{errno: "ENOSYS", cause: "io_uring_setup: function not implemented: the kernel has no io_uring"},
	} {
		t.Run(tc.errno, func(t *testing.T) {
			code, stdout, stderr := runDenied(t, tc.errno, "--engine", "uring", "--addr", "127.0.0.1:0")
			if code == 3 {
				t.Skipf("cannot install a seccomp filter here: %s", stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != 1 || len(lines) != 1 || !strings.Contains(lines[0], tc.cause) || !strings.Contains(lines[0], "--engine epoll") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1 and one line naming %q and suggesting --engine epoll", code, stdout, stderr, tc.cause)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing: the server never listened", stdout)
			}
			// The same child lists the engines that can run: uring is
			// missing from stdout and explained on stderr.
			code, stdout, stderr = runDenied(t, tc.errno, "--list-engines")
			if code != 0 || strings.Contains(stdout, "uring") || !strings.Contains(stdout, "epoll\n") ||
				!strings.Contains(stderr, "uring: unavailable: "+tc.cause) {
				t.Fatalf("--list-engines: exit %d, stdout %q, stderr %q; want uring left out of stdout and explained on stderr", code, stdout, stderr)
			}
		})
	}
}
