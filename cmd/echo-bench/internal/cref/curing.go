package cref

import (
	"context"
	"errors"
	"os/exec"
	"strings"

	_ "embed"
)

// URingSource is the C source of the io_uring reference server: one
// thread, one ring with SINGLE_ISSUER and DEFER_TASKRUN, multishot accept
// and recv from a provided buffer ring, one send in flight per
// connection, and with --udp a multishot recvmsg and a sendmsg per
// datagram.
//
//go:embed csrc/echo_uring.c
var URingSource []byte

// URingName is the engine name the io_uring reference server reports and
// the harness shows it under.
const URingName = "curing"

// ErrNoLiburing is returned by BuildURing when the C compiler cannot find
// liburing's header.
var ErrNoLiburing = errors.New("cref: liburing-dev not installed (the C compiler finds no liburing.h)")

// HasLiburing reports whether the C compiler finds liburing.h: it returns
// ErrNoCompiler without a compiler and ErrNoLiburing without the header.
// Only the preprocessor runs, so the check takes milliseconds.
func HasLiburing(ctx context.Context) error {
	cc, err := Compiler()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, cc, "-E", "-x", "c", "-o", "/dev/null", "-")
	cmd.Stdin = strings.NewReader("#include <liburing.h>\n")
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return ErrNoLiburing
	}
	return nil
}

// BuildURing compiles the io_uring reference server to out with -O2,
// linked with liburing. It returns ErrNoCompiler or ErrNoLiburing when
// either is missing, and the compiler's output on any other failure.
func BuildURing(ctx context.Context, out string) error {
	if err := HasLiburing(ctx); err != nil {
		return err
	}
	return compile(ctx, "echo_uring.c", URingSource, out, "-luring")
}
