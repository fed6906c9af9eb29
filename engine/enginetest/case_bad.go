package enginetest

import (
	"bytes"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/frame"
)

// oversizeFramings lists the framings a frame can exceed the limit of,
// with limits small enough to exceed quickly.
func oversizeFramings() []framing {
	return []framing{
		{"line", frame.Spec{Kind: frame.KindLine, Max: 1024}},
		{"length1", frame.Spec{Kind: frame.KindLength, LengthBytes: 1, Max: 100}},
		{"length2", frame.Spec{Kind: frame.KindLength, LengthBytes: 2, Max: 1024}},
		{"length4", frame.Spec{Kind: frame.KindLength, LengthBytes: 4, Max: 1024}},
		{"length8", frame.Spec{Kind: frame.KindLength, LengthBytes: 8, Max: 1024}},
	}
}

// oversizeFrame returns the start of a frame one byte over the limit: a
// line with no newline past Max, or a length header declaring one byte
// more than fits, followed by a little payload.
func oversizeFrame(g *gen) []byte {
	switch c := g.codec.(type) {
	case frame.Line:
		return bytes.Repeat([]byte{'x'}, c.Limit+1)
	case frame.Length:
		p := make([]byte, c.HeaderBytes+16)
		putHeader(p, c.HeaderBytes, uint64(c.Limit-c.HeaderBytes+1))
		return p
	}
	return nil
}

// oversizedCase checks that a frame over the limit closes its connection
// after the frames before it are echoed, is counted, and leaves other
// connections served.
func oversizedCase(f framing) func(t tb, e engine.Engine) {
	return func(t tb, e engine.Engine) {
		g, err := newGen(newRand(t), f.spec)
		if err != nil {
			t.Fatalf("%v", err)
		}
		badInput(t, e, f.spec, g, oversizeFrame(g))
	}
}

// badHeaderCase checks that an 8-byte length header of all ones, which
// fits no int, closes the connection like an oversized frame.
func badHeaderCase(t tb, e engine.Engine) {
	spec := frame.Spec{Kind: frame.KindLength, LengthBytes: 8}
	g, err := newGen(newRand(t), spec)
	if err != nil {
		t.Fatalf("%v", err)
	}
	badInput(t, e, spec, g, bytes.Repeat([]byte{0xFF}, 8))
}

// badInput sends three valid frames and then bad on one connection, while
// another connection opened before it stays open.
func badInput(t tb, e engine.Engine, spec frame.Spec, g *gen, bad []byte) {
	srv := start(t, e, engine.Config{Frame: spec})
	other := dial(t, srv)
	if err := echo(other, g.randFrame()); err != nil {
		t.Fatalf("first connection before the bad input: %v", err)
	}
	c := dial(t, srv)
	var valid []byte
	for range 3 {
		valid = append(valid, g.randFrame()...)
	}
	if _, err := c.Write(append(append([]byte(nil), valid...), bad...)); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := expectClosed(c, valid); err != nil {
		t.Errorf("after %d bytes of valid frames and %d bad bytes: %v", len(valid), len(bad), err)
	}
	waitStats(t, srv, "Errors.Frame and Closed.Frame not counted", func(s engine.Stats) bool {
		return s.Errors.Frame >= 1 && s.Closed.Frame >= 1
	})
	if err := echo(other, g.randFrame()); err != nil {
		t.Errorf("first connection after the other's bad input: %v", err)
	}
}
