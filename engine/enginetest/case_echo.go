package enginetest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/rawnet/rawnet/engine"
)

// Echo integrity sizes: echoConns connections of echoConnBytes each run at
// once next to one stream of echoStreamBytes.
const (
	echoConns       = 32
	echoConnBytes   = 128 << 10
	echoStreamBytes = 4 << 20
	maxSegment      = 64 << 10
)

// echoCase checks that every byte of every frame comes back in order, once,
// however the stream is cut into writes, on many connections at once.
func echoCase(f framing) func(t tb, e engine.Engine) {
	return func(t tb, e engine.Engine) {
		srv := start(t, e, engine.Config{Frame: f.spec})
		rng := newRand(t)
		var wg sync.WaitGroup
		for i := range echoConns + 1 {
			size := echoConnBytes
			if i == echoConns {
				size = echoStreamBytes
			}
			seed := rng.Uint64()
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := echoStream(srv, f, seed, size); err != nil {
					t.Errorf("%s, connection %d (%d bytes, stream seed %d): %v", f.name, i, size, seed, err)
				}
			}()
		}
		wg.Wait()
	}
}

// echoStream sends size bytes of random frames on a new connection in
// writes of random size while reading the echo, and compares it.
func echoStream(srv engine.Server, f framing, seed uint64, size int) error {
	rng := newSeeded(seed)
	g, err := newGen(rng, f.spec)
	if err != nil {
		return err
	}
	data, _ := g.stream(size)
	c, err := dialErr(srv)
	if err != nil {
		return err
	}
	defer c.Close()
	werr := make(chan error, 1)
	go func() { werr <- writeSegmented(c, data, rng) }()
	rerr := expect(c, data)
	if rerr != nil {
		// Unblock a writer stuck behind a server that stopped reading.
		c.Close()
	}
	if err := <-werr; err != nil && rerr == nil {
		return err
	}
	return rerr
}

// writeSegmented writes data in pieces of random size, from one byte to
// maxSegment, so that frames reach the server split at every point.
func writeSegmented(c net.Conn, data []byte, rng *rand.Rand) error {
	for len(data) > 0 {
		n := min(len(data), logUniform(rng, 1, maxSegment))
		if err := c.SetWriteDeadline(time.Now().Add(patience)); err != nil {
			return err
		}
		if _, err := c.Write(data[:n]); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		data = data[n:]
	}
	return nil
}
