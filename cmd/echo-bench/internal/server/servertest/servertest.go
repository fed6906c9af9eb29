// Package servertest gives the tests of the matrix and the scale phase a
// bin folder to start servers from without building the Go servers: the C
// reference server behind an echo-tcp script.
package servertest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/cref"
)

// BinDir builds the C reference into a temporary bin folder and puts
// beside it an echo-tcp script that lists two engines, std and other, and
// serves both with the reference server, and an echo-udp script that does
// the same with the reference server's UDP mode. It skips the test when
// there is no C compiler.
func BinDir(t *testing.T) string {
	t.Helper()
	if _, err := cref.Compiler(); errors.Is(err, cref.ErrNoCompiler) {
		t.Skip(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cref.Build(ctx, filepath.Join(dir, "echo-fake")); err != nil {
		t.Fatal(err)
	}
	script := `#!/bin/sh
if [ "$1" = "--list-engines" ]; then echo std; echo other; exit 0; fi
exec "$(dirname "$0")/echo-fake" --addr 127.0.0.1:0
`
	if err := os.WriteFile(filepath.Join(dir, "echo-tcp"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	udp := strings.Replace(script, "--addr 127.0.0.1:0", "--udp --addr 127.0.0.1:0", 1)
	if err := os.WriteFile(filepath.Join(dir, "echo-udp"), []byte(udp), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
