package gnetengine_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/enginetest"
	"github.com/rawnet/rawnet/frame"
)

// TestHalfCloseFlushesQueuedOutput writes a stream larger than the socket
// buffers without reading, half-closes, and only then reads. gnet keeps
// reading the stream into memory, so at end of input most of the echo is
// still queued in gnet; its close would drop what the socket does not take
// at once, and the adapter's close-time flush must deliver it.
//
// With the default write limit the adapter pauses echoing, the input
// stays in gnet's inbound buffer, and OnClose echoes it before flushing.
func TestHalfCloseFlushesQueuedOutput(t *testing.T) {
	tests := []struct {
		name       string
		writeLimit int
	}{
		{name: "paused", writeLimit: 0},
		{name: "all queued", writeLimit: 64 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(t, engine.Config{Frame: frame.Spec{Kind: frame.KindLine}, WriteLimit: tt.writeLimit})
			c := enginetest.Dial(t, srv)
			c.SetReadBuffer(64 << 10)
			in := bytes.Repeat([]byte("0123456789abcde\n"), (8<<20)/16)
			if _, err := c.Write(in); err != nil {
				t.Fatalf("write: %v", err)
			}
			c.CloseWrite()
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("read after %d bytes: %v", len(got), err)
			}
			if !bytes.Equal(got, in) {
				t.Fatalf("echoed %d bytes, want %d identical", len(got), len(in))
			}
		})
	}
}
