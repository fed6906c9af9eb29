// Package cref ships the bench harness's reference ceilings. The first,
// cref, is a minimal C epoll echo server (one thread, level-triggered, raw
// framing) that shows what this machine can do, so every Go engine can be
// reported as a ratio of it. With --udp it serves UDP instead: one socket,
// recvfrom until the socket is empty on each wake-up and a sendto per
// datagram. The second, curing (curing.go), is the same server on
// io_uring, the ceiling of that model. The sources are embedded so
// echo-bench can build them wherever a C compiler (and, for curing,
// liburing) exists.
package cref

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	_ "embed"
)

// Source is the C source of the reference server.
//
//go:embed csrc/echo.c
var Source []byte

// Name is the engine name the reference server reports and the harness
// shows it under.
const Name = "cref"

// ErrNoCompiler is returned by Build when no C compiler is found.
var ErrNoCompiler = errors.New("cref: no C compiler (cc, gcc or clang) on PATH")

// Compiler returns the path of the system C compiler: $CC, else the first
// of cc, gcc and clang on PATH.
func Compiler() (string, error) {
	if cc := os.Getenv("CC"); cc != "" {
		return exec.LookPath(cc)
	}
	for _, name := range []string{"cc", "gcc", "clang"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoCompiler
}

// Build compiles the reference server to out with -O2 and returns the
// compiler's output on failure.
func Build(ctx context.Context, out string) error {
	return compile(ctx, "echo.c", Source, out)
}

// compile writes src to a temporary file named file, compiles it with -O2
// to out, linking libs (such as "-luring"), and returns the compiler's
// output on failure.
func compile(ctx context.Context, file string, src []byte, out string, libs ...string) error {
	cc, err := Compiler()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "cref")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, src, 0o644); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	args := append([]string{"-O2", "-Wall", "-o", out, path}, libs...)
	cmd := exec.CommandContext(ctx, cc, args...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cref: %s: %w\n%s", cc, err, msg)
	}
	return nil
}
