//go:build linux

package hostile

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rawnet/rawnet/engine"
)

// Crosstalk case shape: long-lived connections exchanging tagged frames
// while churners open and close connections as fast as they can.
const (
	crossLongLived = 8
	crossChurners  = 4
)

// fdReuseCase checks that no byte reaches the wrong connection while
// descriptor numbers are reused at a high rate: long-lived connections
// send frames tagged with their own identity and sequence number and
// must get exactly those back, while churners open up to churn
// connections in total (within limit), send a tagged frame, and close -
// after reading the echo, without reading it, or with a reset.
func fdReuseCase(churn int, limit time.Duration) func(t tb, x *env) {
	return func(t tb, x *env) {
		srv := start(t, x, engine.Config{Frame: lengthSpec})
		addr := srv.Addr().String()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var rounds [crossLongLived]atomic.Int64
		for i := range crossLongLived {
			c := dial(t, addr)
			wg.Add(1)
			go func() {
				defer wg.Done()
				longLived(t, c, uint32(i), &rounds[i], stop)
			}()
		}
		var opened atomic.Int64
		deadline := time.Now().Add(limit)
		var cw sync.WaitGroup
		for g := range crossChurners {
			cw.Add(1)
			go func() {
				defer cw.Done()
				for n := 0; time.Now().Before(deadline); n++ {
					if opened.Add(1) > int64(churn) {
						return
					}
					if err := churnOnce(addr, uint32(100+g), uint32(n)); err != nil {
						t.Errorf("churner %d, connection %d: %v", g, n, err)
						return
					}
				}
			}()
		}
		cw.Wait()
		close(stop)
		wg.Wait()
		total := min(opened.Load(), int64(churn))
		var slowest int64 = -1
		for i := range rounds {
			if r := rounds[i].Load(); slowest < 0 || r < slowest {
				slowest = r
			}
		}
		x.note(t, "%d short-lived connections; slowest long-lived connection made %d round trips", total, slowest)
		if slowest <= 0 {
			t.Errorf("a long-lived connection made no round trip while others churned")
		}
	}
}

// tagged returns a frame whose payload names conn and seq, padded to a
// size that varies with seq.
func tagged(conn, seq uint32) []byte {
	p := make([]byte, 8+int(seq%64)*16)
	binary.BigEndian.PutUint32(p, conn)
	binary.BigEndian.PutUint32(p[4:], seq)
	for i := 8; i < len(p); i++ {
		p[i] = byte(conn) ^ byte(i)
	}
	return lengthFrame(p)
}

// longLived sends tagged frames on c until stop is closed and checks
// that each echo is exactly its own frame.
func longLived(t tb, c net.Conn, id uint32, rounds *atomic.Int64, stop <-chan struct{}) {
	for seq := uint32(0); ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		f := tagged(id, seq)
		if err := echo(c, f); err != nil {
			t.Errorf("long-lived connection %d, frame %d: %v", id, seq, err)
			return
		}
		rounds.Add(1)
	}
}

// churnOnce opens a connection, sends one tagged frame and closes it in
// one of three ways chosen by n: after checking the echo, at once, or
// with a reset.
func churnOnce(addr string, id, n uint32) error {
	c, err := net.DialTimeout("tcp", addr, patience)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	tc := c.(*net.TCPConn)
	defer tc.Close()
	f := tagged(id, n)
	switch n % 3 {
	case 0:
		return echo(tc, f)
	case 1:
		tc.SetWriteDeadline(time.Now().Add(patience))
		_, err := tc.Write(f)
		return err
	default:
		tc.SetWriteDeadline(time.Now().Add(patience))
		if _, err := tc.Write(f); err != nil {
			return err
		}
		return lingerReset(tc)
	}
}
