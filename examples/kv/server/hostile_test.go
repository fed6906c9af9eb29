package server

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rawnet/rawnet/examples/kv/resp"
)

// Bad input gets Redis's protocol error and a closed connection; the
// commands before it are still answered, and other connections carry on.
func TestBadInputGetsErrorAndClose(t *testing.T) {
	limits := resp.Limits{Args: 8, Bulk: 1024, Command: 4096}
	tests := []struct {
		name  string
		input string
		reply string
	}{
		{name: "huge declared bulk", input: "*2\r\n$3\r\nGET\r\n$4294967296\r\n", reply: "-ERR Protocol error: bulk length over limit\r\n"},
		{name: "bulk over limit", input: "*2\r\n$3\r\nGET\r\n$1025\r\n", reply: "-ERR Protocol error: bulk length over limit\r\n"},
		{name: "too many arguments", input: "*9\r\n", reply: "-ERR Protocol error: too many arguments\r\n"},
		{name: "a million arguments", input: "*1000000\r\n", reply: "-ERR Protocol error: too many arguments\r\n"},
		{name: "command over limit", input: "*6\r\n" + strings.Repeat("$1000\r\n"+strings.Repeat("v", 1000)+"\r\n", 4) + "$1000\r\n", reply: "-ERR Protocol error: command over size limit\r\n"},
		{name: "count is garbage", input: "*x\r\n", reply: "-ERR Protocol error: invalid multibulk length\r\n"},
		{name: "header never ends", input: "*1\r\n$" + strings.Repeat("9", 64), reply: "-ERR Protocol error: invalid bulk length\r\n"},
		{name: "element not bulk", input: "*1\r\n+PING\r\n", reply: "-ERR Protocol error: expected '$'\r\n"},
		{name: "negative bulk", input: "*1\r\n$-5\r\n", reply: "-ERR Protocol error: invalid bulk length\r\n"},
		{name: "bulk longer than declared", input: "*1\r\n$2\r\nPING\r\n", reply: "-ERR Protocol error: bulk string not followed by CRLF\r\n"},
		{name: "inline without newline", input: strings.Repeat("A", 4096), reply: "-ERR Protocol error: too big inline request\r\n"},
		{name: "binary garbage", input: "\x00\xff*\r" + strings.Repeat("\x01", 5000), reply: "-ERR Protocol error: too big inline request\r\n"},
	}
	srv := start(t, Config{Loops: 1, Limits: limits})
	bystander := dial(t, srv)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := dial(t, srv)
			p.send([]byte("*1\r\n$4\r\nPING\r\n" + tt.input))
			if got := p.line(); got != "+PONG\r\n" {
				t.Fatalf("the command before the bad one got %q", got)
			}
			if got := p.line(); got != tt.reply {
				t.Fatalf("reply %q, want %q", got, tt.reply)
			}
			if n := p.expectEOF(); n != 0 {
				t.Fatalf("%d bytes after the error reply", n)
			}
			bystander.send([]byte("PING\r\n"))
			if got := bystander.line(); got != "+PONG\r\n" {
				t.Fatalf("another connection got %q", got)
			}
		})
	}
	if got := srv.Stats().ProtocolErrors; got != uint64(len(tests)) {
		t.Errorf("%d protocol errors counted, want %d", got, len(tests))
	}
}

// A peer that floods bytes that never complete a command costs the
// server at most its command limit: the connection is refused with an
// error once the limit is reached, and the flood is not kept, so the
// process allocates far less than the peer sends.
func TestFloodIsNotBuffered(t *testing.T) {
	const flood = 32 << 20
	floods := []struct {
		name   string
		header string
		reply  string
	}{
		{name: "inline line without end", header: "", reply: "-ERR Protocol error: too big inline request\r\n"},
		{name: "bulk that fills the command limit", header: "*2\r\n$3\r\nGET\r\n$1000000\r\n", reply: "-ERR Protocol error: command over size limit\r\n"},
	}
	for _, f := range floods {
		t.Run(f.name, func(t *testing.T) {
			srv := start(t, Config{Loops: 1, Limits: resp.Limits{Command: 256 << 10}})
			p := dial(t, srv)
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			done := make(chan error, 1)
			go func() {
				chunk := bytes.Repeat([]byte("x"), 64<<10)
				_, err := p.conn.Write([]byte(f.header))
				for sent := 0; err == nil && sent < flood; sent += len(chunk) {
					_, err = p.conn.Write(chunk)
				}
				done <- err
			}()
			reply, err := p.r.ReadString('\n')
			if err != nil || reply != f.reply {
				t.Fatalf("reply %q, %v; want %q", reply, err, f.reply)
			}
			if _, err := io.Copy(io.Discard, p.r); err != nil {
				t.Fatalf("reading to EOF: %v", err)
			}
			p.conn.Close() // ends the flood if it is still going
			<-done
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
				t.Errorf("allocated %d MiB while the peer sent up to %d MiB", grew>>20, flood>>20)
			}
		})
	}
}

// A peer that pipelines reads of a large value without reading the
// replies is cut off at the output limit, not served into unbounded
// memory.
func TestOutputLimit(t *testing.T) {
	srv := start(t, Config{Loops: 1, MaxOutput: 1 << 20})
	p := dial(t, srv)
	value := strings.Repeat("v", 512<<10)
	p.send(resp.AppendCommand(nil, "SET", "big", value))
	if got := p.line(); got != "+OK\r\n" {
		t.Fatalf("SET: %q", got)
	}
	const gets = 100
	var pipeline []byte
	for range gets {
		pipeline = resp.AppendCommand(pipeline, "GET", "big")
	}
	p.send(pipeline)
	// Read nothing until the server has given up on the peer: a client
	// that reads as fast as the server writes never lets output pile up,
	// and this one stands for a peer that does not read.
	deadline := time.Now().Add(10 * time.Second)
	for srv.Stats().OutputLimits == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no output-limit close within 10s with 50 MiB of replies unread")
		}
		time.Sleep(time.Millisecond)
	}
	got := p.expectEOF()
	if full := gets * (len(value) + 16); got >= full {
		t.Fatalf("read %d bytes, all %d of the replies: no limit", got, full)
	}
	if st := srv.Stats(); st.OutputLimits != 1 {
		t.Fatalf("%d output-limit closes counted, want 1", st.OutputLimits)
	}
}

// QUIT answers OK and closes; the commands pipelined after it are not
// run.
func TestQuit(t *testing.T) {
	srv := start(t, Config{Loops: 1})
	p := dial(t, srv)
	p.send([]byte("SET a 1\r\nQUIT\r\nSET b 2\r\n"))
	if got := p.line() + p.line(); got != "+OK\r\n+OK\r\n" {
		t.Fatalf("replies %q", got)
	}
	if n := p.expectEOF(); n != 0 {
		t.Fatalf("%d bytes after QUIT's reply", n)
	}
	if st := srv.Stats(); st.Keys != 1 {
		t.Fatalf("%d keys: the SET after QUIT ran", st.Keys)
	}
}
