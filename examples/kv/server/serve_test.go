package server

import (
	"bytes"
	"testing"

	"github.com/rawnet/rawnet/examples/kv/resp"
	"github.com/rawnet/rawnet/examples/kv/store"
)

// discard stands in for a connection whose socket takes every byte.
type discard struct{ n int }

func (d *discard) Write(b []byte) (int, error) { d.n += len(b); return len(b), nil }
func (d *discard) OutboundBuffered() int       { return 0 }

// workload is input a client sends in one write and the replies it
// expects.
type workload struct {
	name     string
	input    []byte
	commands int
	replies  string
}

// repeat returns cmd n times over, as a pipeline of depth n sends it.
func repeat(cmd []byte, n int) []byte { return bytes.Repeat(cmd, n) }

// workloads are the shapes redis-benchmark -t set,get sends, at depth 1
// and 16, and the other commands' hot paths. The key is the literal one
// redis-benchmark uses without -r.
func workloads() []workload {
	set := resp.AppendCommand(nil, "SET", "key:__rand_int__", "xxx")
	get := resp.AppendCommand(nil, "GET", "key:__rand_int__")
	return []workload{
		{name: "set", input: set, commands: 1, replies: "+OK\r\n"},
		{name: "get", input: get, commands: 1, replies: "$3\r\nxxx\r\n"},
		{name: "set-P16", input: repeat(set, 16), commands: 16, replies: string(repeat([]byte("+OK\r\n"), 16))},
		{name: "get-P16", input: repeat(get, 16), commands: 16, replies: string(repeat([]byte("$3\r\nxxx\r\n"), 16))},
		{name: "incr", input: resp.AppendCommand(nil, "INCR", "counter"), commands: 1},
		{name: "mget", input: resp.AppendCommand(nil, "MGET", "key:__rand_int__", "missing", "key:__rand_int__"), commands: 1,
			replies: "*3\r\n$3\r\nxxx\r\n$-1\r\n$3\r\nxxx\r\n"},
		{name: "del", input: resp.AppendCommand(nil, "DEL", "missing"), commands: 1, replies: ":0\r\n"},
		{name: "ping-inline", input: []byte("PING\r\n"), commands: 1, replies: "+PONG\r\n"},
	}
}

// newBench returns a handler with one loop and a store holding the key
// the workloads read.
func newBench() (*handler, *scratch) {
	h := newHandler(store.New(), resp.Codec{}, 1, DefaultMaxOutput)
	h.store.Set([]byte("key:__rand_int__"), []byte("xxx"))
	return h, &h.loops[0]
}

// recorder keeps what serve writes.
type recorder struct{ bytes.Buffer }

func (r *recorder) OutboundBuffered() int { return 0 }

func TestServeReplies(t *testing.T) {
	for _, w := range workloads() {
		if w.replies == "" {
			continue
		}
		h, s := newBench()
		var out recorder
		used, err := h.serve(s, &out, w.input)
		if used != len(w.input) || err != nil || out.String() != w.replies {
			t.Errorf("%s: used %d of %d, %v, replies %q; want %q", w.name, used, len(w.input), err, out.String(), w.replies)
		}
	}
}

// The command path allocates nothing once a loop's buffers have grown:
// parsing, the store and the replies all reuse memory.
func TestServeAllocatesNothing(t *testing.T) {
	for _, w := range workloads() {
		h, s := newBench()
		var d discard
		h.serve(s, &d, w.input)
		allocs := testing.AllocsPerRun(200, func() { h.serve(s, &d, w.input) })
		if allocs != 0 {
			t.Errorf("%s: %v allocations per call", w.name, allocs)
		}
	}
}

// BenchmarkServe measures parsing and running commands, replies written
// to a sink that takes everything: the server's own cost per request,
// without the system calls.
func BenchmarkServe(b *testing.B) {
	for _, w := range workloads() {
		b.Run(w.name, func(b *testing.B) {
			h, s := newBench()
			var d discard
			b.ReportAllocs()
			b.SetBytes(int64(len(w.input)))
			for b.Loop() {
				h.serve(s, &d, w.input)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*w.commands), "ns/command")
		})
	}
}
