package enginetest

import (
	"net/netip"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/frame"
	"github.com/rawnet/rawnet/sockopt"
)

// Sizes the stats and socket option cases use.
const (
	statsFrames  = 200
	recvBufAsked = 128 << 10
)

// statsCase checks that Frames, BytesIn, BytesOut, Accepted and Active
// match what one client did, and once it has closed, that its connection
// counts as closed by the peer, with one lifetime, and nothing is left
// queued or held.
func statsCase(t tb, e engine.Engine) {
	spec := frame.Spec{Kind: frame.KindLength, LengthBytes: 4}
	srv := start(t, e, engine.Config{Frame: spec})
	rng := newRand(t)
	g, err := newGen(rng, spec)
	if err != nil {
		t.Fatalf("%v", err)
	}
	var data []byte
	for range statsFrames {
		data = append(data, g.randFrame()...)
	}
	c := dial(t, srv)
	werr := make(chan error, 1)
	go func() { werr <- writeSegmented(c, data, newSeeded(rng.Uint64())) }()
	if err := expect(c, data); err != nil {
		t.Fatalf("echo of %d frames: %v", statsFrames, err)
	}
	if err := <-werr; err != nil {
		t.Fatalf("%v", err)
	}
	n := uint64(len(data))
	waitStats(t, srv, "stats do not match one connection that sent and got back every frame",
		func(s engine.Stats) bool {
			return s.Frames == statsFrames && s.FramesIn == statsFrames && s.BytesIn == n && s.BytesOut == n &&
				s.Accepted == 1 && s.Active == 1 && s.Closed.Total() == 0
		})
	c.Close()
	waitStats(t, srv, "Active not back to 0, or the close not counted, after the client closed", func(s engine.Stats) bool {
		return s.Active == 0 && s.Closed == engine.CloseStats{Peer: 1} && s.Lifetime.Count() == 1 && s.Lifetime.Sum > 0
	})
	st := srv.Stats()
	if st.OutputQueued != 0 || st.InputBudgetUsed != 0 {
		t.Errorf("after the only client closed: OutputQueued %d, InputBudgetUsed %d, want 0", st.OutputQueued, st.InputBudgetUsed)
	}
	if !st.Unknown.Has(engine.UnknownResumed) && st.Resumed != st.Errors.Backpressure {
		t.Errorf("reading paused %d times for backpressure but resumed %d times on a connection that drained",
			st.Errors.Backpressure, st.Resumed)
	}
	if st.Datagrams != 0 {
		t.Errorf("a TCP server counted %d datagrams", st.Datagrams)
	}
	// Backpressure is flow control, not a failure: a client that reads
	// concurrently may still fill the server's send buffer for a moment.
	errs := srv.Stats().Errors
	errs.Backpressure = 0
	if errs != (engine.ErrorStats{}) {
		t.Errorf("errors counted for a well-behaved client: %+v", errs)
	}
}

// loopbackCase checks that a server started with the default address
// listens on loopback only, for TCP and UDP: an echo service on a public
// address is a reflection vector, so going wider must be asked for.
func loopbackCase(t tb, e engine.Engine) {
	for _, network := range []string{"tcp", "udp"} {
		addr := start(t, e, engine.Config{Network: network}).Addr()
		ap, err := netip.ParseAddrPort(addr.String())
		if err != nil {
			t.Errorf("%s: Addr() = %v: %v", network, addr, err)
			continue
		}
		if !ap.Addr().IsLoopback() || ap.Port() == 0 {
			t.Errorf("%s: default Addr() = %v, want a loopback address with the port the kernel chose", network, addr)
		}
		if addr.Network() != network {
			t.Errorf("%s: Addr().Network() = %q", network, addr.Network())
		}
	}
}

// sockoptsCase checks the report of socket options: TCP_NODELAY and
// SO_REUSEADDR on by default, and a receive buffer at least as large as
// asked for, on TCP and UDP.
func sockoptsCase(t tb, e engine.Engine) {
	def := start(t, e, engine.Config{}).Sockopts()
	if !def.Granted.NoDelay {
		t.Errorf("default TCP server: Granted.NoDelay false, want TCP_NODELAY on by default (report %v)", def)
	}
	if !def.Granted.ReuseAddr {
		t.Errorf("default TCP server: Granted.ReuseAddr false, want SO_REUSEADDR on by default (report %v)", def)
	}
	for _, network := range []string{"tcp", "udp"} {
		cfg := engine.Config{Network: network, Sockopts: sockopt.Options{RecvBuf: recvBufAsked}}
		r := start(t, e, cfg).Sockopts()
		if r.Requested.RecvBuf != recvBufAsked {
			t.Errorf("%s: Requested.RecvBuf = %d, want %d", network, r.Requested.RecvBuf, recvBufAsked)
		}
		if r.Granted.RecvBuf < recvBufAsked {
			t.Errorf("%s: asked SO_RCVBUF %d, Granted.RecvBuf = %d (report %v, warnings %q)",
				network, recvBufAsked, r.Granted.RecvBuf, r, r.Warnings)
		}
	}
}
