package enginetest

import (
	"fmt"
	"net"
	"time"

	"github.com/rawnet/rawnet/engine"
)

// The rate limit case's numbers. The rate is so low that no datagram is
// earned back while the case runs (one per 100 s), so the burst is all
// a source gets; the case's bound still allows for the rate, so it holds
// on any machine.
const (
	rateLimit  = 0.01
	rateBurst  = 5
	rateFlood  = 50 // datagrams the first source sends at once
	rateSecond = "127.0.0.2"
)

// udpRateLimitCase checks the per-source UDP rate limit. One source
// sends a flood: at most burst + rate x elapsed datagrams come back and
// the rest are counted as rate limited. Another socket from the same
// address, whose other port may land on the other SO_REUSEPORT socket,
// is limited too: the limit is per address, not per socket or port. A
// second address, 127.0.0.2 (all of 127.0.0.0/8 is loopback on Linux),
// is still served. It could share the first source's bucket only by a
// keyed-hash collision, a 1 in 65536 chance.
func udpRateLimitCase(t tb, e engine.Engine) {
	srv := start(t, e, engine.Config{Network: "udp", Loops: 2, UDPRateLimit: rateLimit, UDPRateBurst: rateBurst})
	c := udpDial(t, srv)

	begin := time.Now()
	for i := range rateFlood {
		if _, err := fmt.Fprintf(c, "flood %d", i); err != nil {
			t.Fatalf("send datagram %d of the flood: %v", i, err)
		}
	}
	// Every Allow happened between begin and the moment the server has
	// counted the whole flood (or gave up on datagrams loopback lost).
	handled := func() uint64 { s := srv.Stats(); return s.Frames + s.Errors.RateLimited }
	pollUntil(patience, func() bool { return handled() >= rateFlood })
	elapsed := time.Since(begin)
	bound := uint64(rateBurst + rateLimit*elapsed.Seconds())

	st := srv.Stats()
	if st.Frames > bound {
		t.Errorf("echoed %d of %d datagrams sent in %v at %g/s burst %d: over the bound %d",
			st.Frames, rateFlood, elapsed, rateLimit, rateBurst, bound)
	}
	if st.Frames == 0 {
		t.Errorf("echoed nothing of the flood: the burst of %d should pass", rateBurst)
	}
	if st.Errors.RateLimited+bound < handled() {
		t.Errorf("counted %d rate limited of %d handled, want at least %d", st.Errors.RateLimited, handled(), handled()-bound)
	}
	if got := udpCountEchoes(c); uint64(got) > st.Frames {
		t.Errorf("received %d echoes, more than the %d the server counted", got, st.Frames)
	}

	again := udpDial(t, srv)
	before := srv.Stats().Errors.RateLimited
	udpDropped(t, srv, again, []byte("same address, other port"), "datagram from the flooding address on another port",
		func(s engine.Stats) bool { return s.Errors.RateLimited > before })

	raddr, ok := srv.Addr().(*net.UDPAddr)
	if !ok {
		t.Fatalf("Addr() is %T, not a *net.UDPAddr", srv.Addr())
	}
	other, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(rateSecond)}, raddr)
	if err != nil {
		t.Fatalf("dial from %s: %v", rateSecond, err)
	}
	t.Cleanup(func() { other.Close() })
	if err := udpEcho(other, []byte("another source"), nil); err != nil {
		t.Errorf("second source %s after the first was limited: %v", rateSecond, err)
	}
}

// udpCountEchoes reads datagrams from c until none arrives for quiet,
// and returns how many came, stopping at twice the flood.
func udpCountEchoes(c *net.UDPConn) int {
	buf := make([]byte, 64<<10)
	n := 0
	for n < 2*rateFlood {
		c.SetReadDeadline(time.Now().Add(quiet))
		if _, err := c.Read(buf); err != nil {
			return n
		}
		n++
	}
	return n
}
