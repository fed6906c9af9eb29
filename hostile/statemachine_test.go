//go:build linux

package hostile

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/all"
	"github.com/rawnet/rawnet/engine/enginetest"
	"github.com/rawnet/rawnet/frame"
)

// machineMax is the frame limit of the state machine's servers: small, so
// that a bad header is one draw away.
const machineMax = 4 << 10

// machineSpec is the framing the state machine speaks.
var machineSpec = frame.Spec{Kind: frame.KindLength, LengthBytes: 4, Max: machineMax}

// machine is a client connection and the model of what the server owes
// it: the echo of every complete frame written and not yet read. A frame
// written in part is not echoed until its rest is written.
type machine struct {
	addr    string
	c       *net.TCPConn
	pending []byte // frames written, echo not yet read; the last may be partial
	rest    []byte // the unwritten rest of a frame written in part
	partial int    // the whole length of that frame
}

// open dials a fresh connection and resets the model.
func (m *machine) open(t *rapid.T) {
	c, err := net.DialTimeout("tcp", m.addr, patience)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	m.c, m.pending, m.rest = c.(*net.TCPConn), nil, nil
}

// write sends b in pieces of random sizes.
func (m *machine) write(t *rapid.T, b []byte) {
	for len(b) > 0 {
		n := rapid.IntRange(1, len(b)).Draw(t, "piece")
		m.c.SetWriteDeadline(time.Now().Add(patience))
		if _, err := m.c.Write(b[:n]); err != nil {
			t.Fatalf("write %d bytes: %v", n, err)
		}
		b = b[n:]
	}
}

// finishFrame writes the rest of a frame written in part.
func (m *machine) finishFrame(t *rapid.T) {
	if m.rest == nil {
		return
	}
	m.write(t, m.rest)
	m.rest = nil
}

// actions returns the state machine's actions.
func (m *machine) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"frame": func(t *rapid.T) {
			// A valid frame, after the rest of one written in part; its
			// echo is owed only once all of it is written.
			m.finishFrame(t)
			f := lengthFrame(rapid.SliceOfN(rapid.Byte(), 1, machineMax-4).Draw(t, "payload"))
			m.write(t, f)
			m.pending = append(m.pending, f...)
		},
		"partial": func(t *rapid.T) {
			m.finishFrame(t)
			f := lengthFrame(rapid.SliceOfN(rapid.Byte(), 1, 512).Draw(t, "payload"))
			k := rapid.IntRange(1, len(f)-1).Draw(t, "written")
			m.write(t, f[:k])
			m.pending = append(m.pending, f...)
			m.rest, m.partial = f[k:], len(f)
		},
		"read": func(t *rapid.T) {
			if m.rest != nil {
				t.Skip("the echo of a frame written in part is not owed yet")
			}
			m.readPending(t)
		},
		"pause": func(t *rapid.T) {
			// Lets the server's reads split where they will; load
			// shape, not synchronisation.
			time.Sleep(time.Duration(rapid.IntRange(0, 3).Draw(t, "ms")) * time.Millisecond)
		},
		"bad": func(t *rapid.T) {
			// A header over the limit: the frames before it come
			// back, then the server closes.
			m.finishFrame(t)
			var hdr [4]byte
			binary.BigEndian.PutUint32(hdr[:], rapid.Uint32Range(machineMax-4+1, 0xFFFFFFFF).Draw(t, "declared"))
			m.write(t, hdr[:])
			m.readPending(t)
			m.expectEnd(t, "after a bad header")
			m.c.Close()
			m.open(t)
		},
		"halfclose": func(t *rapid.T) {
			// FIN: the owed echo comes back, a partial frame is
			// dropped, then EOF.
			if m.rest != nil {
				m.pending = m.pending[:len(m.pending)-m.partial]
			}
			if err := m.c.CloseWrite(); err != nil {
				t.Fatalf("CloseWrite: %v", err)
			}
			m.readPending(t)
			m.expectEnd(t, "after FIN")
			m.c.Close()
			m.open(t)
		},
		"reset": func(t *rapid.T) {
			if err := lingerReset(m.c); err != nil {
				t.Fatalf("reset: %v", err)
			}
			m.open(t)
		},
	}
}

// readPending reads the owed echo and compares it with the model.
func (m *machine) readPending(t *rapid.T) {
	if len(m.pending) == 0 {
		return
	}
	if err := expect(m.c, m.pending); err != nil {
		t.Fatalf("echo of %d owed bytes: %v", len(m.pending), err)
	}
	m.pending = nil
}

// expectEnd checks that the server ends the connection with nothing more.
func (m *machine) expectEnd(t *rapid.T, when string) {
	n, err := readToEnd(m.c, patience)
	if n != 0 || !(errors.Is(err, io.EOF) || enginetest.IsClosed(err)) {
		t.Fatalf("%s: %d more bytes, then %v; want the connection ended", when, n, err)
	}
}

// runMachine runs one random action sequence against the server at addr.
func runMachine(t *rapid.T, addr string) {
	m := &machine{addr: addr}
	m.open(t)
	defer func() { m.c.Close() }()
	t.Repeat(m.actions())
	m.finishFrame(t)
	m.readPending(t)
}

// machineServers starts a server of every engine for the state machine
// and stops them when tb ends.
func machineServers(tb testing.TB) map[string]string {
	addrs := make(map[string]string)
	for _, name := range all.Names() {
		e, _ := all.Lookup(name)
		srv, err := e.Start(engine.Config{Frame: machineSpec})
		if err != nil {
			tb.Fatalf("%s: Start: %v", name, err)
		}
		tb.Cleanup(func() { stop(tb, srv) })
		addrs[name] = srv.Addr().String()
	}
	return addrs
}

// TestStateMachine drives every engine with random sequences of client
// actions - valid frames written in random pieces, frames left partial,
// reads, pauses, bad headers, half-closes and resets - and checks every
// echo against the model.
func TestStateMachine(t *testing.T) {
	addrs := machineServers(t)
	for _, name := range all.Names() {
		t.Run(name, func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) { runMachine(rt, addrs[name]) })
		})
	}
}

// FuzzStateMachine is TestStateMachine's property as a fuzz target: each
// input drives one action sequence against every engine.
func FuzzStateMachine(f *testing.F) {
	addrs := machineServers(f)
	f.Fuzz(rapid.MakeFuzz(func(rt *rapid.T) {
		for _, name := range all.Names() {
			runMachine(rt, addrs[name])
		}
	}))
}
