package enginetest

import (
	"errors"
	"io"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/frame"
)

// halfCloseCase checks that a peer that shuts down its sending side gets
// everything it sent echoed, then end of input.
func halfCloseCase(t tb, e engine.Engine) {
	rng := newRand(t)
	for _, tc := range []struct {
		framing framing
		size    int
	}{
		{framing: framing{"raw", frame.Spec{Kind: frame.KindRaw}}, size: 1 << 20},
		{framing: framing{"length4", frame.Spec{Kind: frame.KindLength, LengthBytes: 4}}, size: 8 << 20},
	} {
		g, err := newGen(rng, tc.framing.spec)
		if err != nil {
			t.Fatalf("%v", err)
		}
		data, _ := g.stream(tc.size)
		halfClose(t, e, tc.framing, data, data, rng.Uint64())
	}
}

// halfClosePartialCase checks that a partial frame left at end of input is
// dropped, not echoed, while the frames before it are.
func halfClosePartialCase(t tb, e engine.Engine) {
	f := framing{"length4", frame.Spec{Kind: frame.KindLength, LengthBytes: 4}}
	rng := newRand(t)
	g, err := newGen(rng, f.spec)
	if err != nil {
		t.Fatalf("%v", err)
	}
	whole, _ := g.stream(64 << 10)
	partial := g.frame(100)[:50]
	halfClose(t, e, f, append(append([]byte(nil), whole...), partial...), whole, rng.Uint64())
}

// halfClose sends data in random writes, shuts down the write side and
// checks that exactly want comes back, then EOF.
func halfClose(t tb, e engine.Engine, f framing, data, want []byte, seed uint64) {
	t.Helper()
	srv := start(t, e, engine.Config{Frame: f.spec})
	c := dial(t, srv)
	werr := make(chan error, 1)
	go func() {
		err := writeSegmented(c, data, newSeeded(seed))
		if err == nil {
			err = c.CloseWrite()
		}
		werr <- err
	}()
	got, err := readToClose(c, patience)
	if !errors.Is(err, io.EOF) {
		t.Errorf("%s, %d bytes then CloseWrite: want the echo then EOF; read %d bytes, then: %v", f.name, len(data), len(got), err)
		c.Close()
	} else if cerr := compare(got, want); cerr != nil {
		t.Errorf("%s, %d bytes then CloseWrite: %v", f.name, len(data), cerr)
	}
	if err := <-werr; err != nil {
		t.Errorf("%s: writing: %v", f.name, err)
	}
}
