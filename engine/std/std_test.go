package std_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/enginetest"
	"github.com/rawnet/rawnet/engine/std"
)

// TestMain fails the package if a server leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestConformance runs the shared engine suite.
func TestConformance(t *testing.T) {
	enginetest.Run(t, std.Engine{})
}

// BenchmarkEcho measures one round trip of a message over loopback: the
// client writes it and reads the echo before sending the next.
func BenchmarkEcho(b *testing.B) {
	for _, size := range []int{64, 1 << 10, 16 << 10} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			srv, err := std.Engine{}.Start(engine.Config{})
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := srv.Shutdown(ctx); err != nil {
					b.Error(err)
				}
			}()
			c, err := net.Dial("tcp", srv.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			msg := bytes.Repeat([]byte{'x'}, size)
			buf := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
