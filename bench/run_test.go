package bench

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rawnet/rawnet/frame"
)

func TestRunTCPFramings(t *testing.T) {
	tests := []struct {
		name  string
		spec  frame.Spec
		sizes string
		depth int
		conns int
	}{
		{name: "raw ping-pong", spec: frame.Spec{Kind: frame.KindRaw}, sizes: "64", depth: 1, conns: 1},
		{name: "raw pipelined mixed sizes", spec: frame.Spec{Kind: frame.KindRaw}, sizes: "20-3000", depth: 8, conns: 5},
		{name: "line", spec: frame.Spec{Kind: frame.KindLine}, sizes: "64,200", depth: 4, conns: 3},
		{name: "length/1", spec: frame.Spec{Kind: frame.KindLength, LengthBytes: 1}, sizes: "256", depth: 4, conns: 2},
		{name: "length/2", spec: frame.Spec{Kind: frame.KindLength, LengthBytes: 2}, sizes: "64:3,4096:1", depth: 4, conns: 2},
		{name: "length/4", spec: frame.Spec{Kind: frame.KindLength, LengthBytes: 4}, sizes: "1024", depth: 16, conns: 4},
		{name: "length/8", spec: frame.Spec{Kind: frame.KindLength, LengthBytes: 8}, sizes: "100", depth: 2, conns: 2},
		{name: "fixed", spec: frame.Spec{Kind: frame.KindFixed, FixedSize: 48}, depth: 4, conns: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startTCP(t, tt.spec, nil)
			// Count mode: the run ends when every message is echoed, so a
			// machine too busy to schedule the in-process server for a
			// while slows the test down instead of leaving a timed window
			// empty.
			const count = 40
			cfg := Config{Addr: srv.addr, Frame: tt.spec, Conns: tt.conns, Depth: tt.depth,
				Count: count, Workers: 2}
			if tt.sizes != "" {
				sz, err := ParseSizes(tt.sizes)
				if err != nil {
					t.Fatal(err)
				}
				cfg.Sizes = sz
			}
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if want := uint64(tt.conns * count); res.Messages != want {
				t.Fatalf("measured %d messages, want every one of %d", res.Messages, want)
			}
			if res.Latency.P50 <= 0 || res.Latency.Max < res.Latency.P50 {
				t.Fatalf("latency not measured: %+v", res.Latency)
			}
			if res.Conns != tt.conns || res.Error != "" {
				t.Fatalf("result does not describe the run: %+v", res)
			}
		})
	}
}

func TestRunOneSecond(t *testing.T) {
	srv := startTCP(t, frame.Spec{}, nil)
	var progress []Progress
	res, err := Run(context.Background(), Config{
		Addr: srv.addr, Conns: 8, Depth: 4, Duration: 800 * time.Millisecond, Warmup: 200 * time.Millisecond,
		Progress: func(p Progress) { progress = append(progress, p) }, ProgressInterval: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages == 0 || res.MsgsPerSec <= 0 || res.MBPerSec <= 0 {
		t.Fatalf("no throughput: %+v", res)
	}
	if res.Client.Cores == 0 || res.Client.UserSec+res.Client.SysSec <= 0 || res.Client.UsPerMsg <= 0 {
		t.Fatalf("client CPU not measured: %+v", res.Client)
	}
	// A worker cannot wait for a CPU longer than the measurement lasts.
	if w := res.Client.Waiting; w < 0 || w > 1.01 {
		t.Fatalf("workers waited for a CPU %v of the time: %+v", w, res.Client)
	}
	if len(progress) == 0 {
		t.Fatal("no progress reported")
	}
	if last := progress[len(progress)-1]; last.Connected != 8 {
		t.Fatalf("progress says %d connected, want 8", last.Connected)
	}
}

func TestRunOpenLoop(t *testing.T) {
	srv := startTCP(t, frame.Spec{Kind: frame.KindLength}, nil)
	res, err := Run(context.Background(), Config{
		Addr: srv.addr, Frame: frame.Spec{Kind: frame.KindLength}, Conns: 4, Rate: 4000,
		Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The schedule, not the server, decides how many messages are sent:
	// never more than were due in the window, with a margin for messages
	// due just before it whose echo landed in it.
	if res.Messages == 0 || res.Messages > 4000*3/10+100 || res.Rate != 4000 {
		t.Fatalf("open loop sent %d messages at rate %v", res.Messages, res.Rate)
	}
}

func TestRunUDP(t *testing.T) {
	srv := startUDP(t, nil)
	// Count mode, so that a busy machine slows the test down rather than
	// leaving a timed window empty.
	const conns, count = 4, 200
	res, err := Run(context.Background(), Config{
		Network: "udp", Addr: srv.addr, Conns: conns, Depth: 16, Count: count,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.UDP == nil || res.UDP.Received == 0 || res.UDP.Sent != conns*count {
		t.Fatalf("UDP accounting off: %+v", res.UDP)
	}
	// Every datagram sent is either echoed, late or lost.
	if got := res.UDP.Received + res.UDP.Lost + res.UDP.Late; got != res.UDP.Sent {
		t.Fatalf("sent %d, received %d + lost %d + late %d", res.UDP.Sent, res.UDP.Received, res.UDP.Lost, res.UDP.Late)
	}
}

func TestRunUDPCountsLoss(t *testing.T) {
	srv := startUDP(t, func(i int, d []byte) []byte {
		if i%10 == 3 {
			return nil
		}
		return d
	})
	res, err := Run(context.Background(), Config{
		Network: "udp", Addr: srv.addr, Conns: 2, Depth: 4, Timeout: 20 * time.Millisecond,
		Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.UDP.Lost == 0 || res.UDP.LossPercent <= 0 {
		t.Fatalf("dropped datagrams not counted: %+v", res.UDP)
	}
}

func TestRunCatchesBadServers(t *testing.T) {
	tests := []struct {
		name    string
		network string
		spec    frame.Spec
		tp      tamper
		depth   int
		want    []error
	}{
		{name: "flipped filler byte", spec: frame.Spec{Kind: frame.KindLength}, tp: flipAt(50, 40), depth: 1, want: []error{ErrMismatch}},
		{name: "flipped sequence byte", spec: frame.Spec{Kind: frame.KindLength}, tp: flipAt(30, 10), depth: 4, want: []error{ErrMismatch}},
		{name: "flipped delimiter", spec: frame.Spec{Kind: frame.KindLine}, tp: flipAt(20, 63), depth: 1, want: []error{ErrMismatch}},
		{name: "dropped frame ping-pong", spec: frame.Spec{Kind: frame.KindLength}, tp: dropAt(25), depth: 1, want: []error{ErrLost}},
		{name: "dropped frame pipelined", spec: frame.Spec{Kind: frame.KindLength}, tp: dropAt(25), depth: 4, want: []error{ErrMismatch}},
		{name: "duplicated frame", spec: frame.Spec{Kind: frame.KindFixed, FixedSize: 64}, depth: 2,
			tp: func(i int, f []byte) []byte {
				if i == 9 {
					return append(f, f...)
				}
				return f
			}, want: []error{ErrMismatch}},
		{name: "udp flipped byte", network: "udp", tp: flipAt(40, 30), depth: 1, want: []error{ErrMismatch}},
		{name: "udp flipped byte in a batch", network: "udp", tp: flipAt(40, 30), depth: 16, want: []error{ErrMismatch}},
		{name: "udp echo one byte longer", network: "udp", depth: 4,
			tp: func(i int, d []byte) []byte {
				if i == 12 {
					return append(d, 0)
				}
				return d
			}, want: []error{ErrMismatch}},
		{name: "udp echo longer than any message", network: "udp", depth: 4,
			tp: func(i int, d []byte) []byte {
				if i == 12 {
					return append(d, make([]byte, 500)...)
				}
				return d
			}, want: []error{ErrMismatch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var addr string
			if tt.network == "udp" {
				addr = startUDP(t, tt.tp).addr
			} else {
				addr = startTCP(t, tt.spec, tt.tp).addr
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := Run(ctx, Config{Network: tt.network, Addr: addr, Frame: tt.spec, Conns: 1, Depth: tt.depth,
				Duration: 2 * time.Second, Timeout: 300 * time.Millisecond})
			if !isAny(err, tt.want...) {
				t.Fatalf("Run error = %v, want %v", err, tt.want)
			}
			if res == nil || res.Error == "" {
				t.Fatalf("result does not carry the error: %+v", res)
			}
		})
	}
}

func TestRunServerClosesConnection(t *testing.T) {
	srv := startTCP(t, frame.Spec{}, nil)
	_, err := Run(context.Background(), Config{Addr: srv.addr, Conns: 2, Duration: 5 * time.Second,
		Hold: func(context.Context) error { return nil },
		Progress: func(p Progress) {
			if p.Messages > 100 {
				srv.stop()
			}
		}, ProgressInterval: 20 * time.Millisecond})
	if !errors.Is(err, ErrLost) {
		t.Fatalf("Run error = %v, want ErrLost", err)
	}
}

// TestRunCauseWins closes one connection of many while every worker is
// busy: the worker that owns it fails with ErrLost and the others stop
// because it did, in whatever order they report. The run must end with the
// cause, never with the abort that followed it.
func TestRunCauseWins(t *testing.T) {
	srv := startTCP(t, frame.Spec{}, nil)
	var closed atomic.Bool
	res, err := Run(context.Background(), Config{Addr: srv.addr, Conns: 8, Workers: 8, Duration: 5 * time.Second,
		Progress: func(p Progress) {
			if p.Messages > 100 && !closed.Load() {
				closed.Store(srv.closeOne())
			}
		}, ProgressInterval: 10 * time.Millisecond})
	if !errors.Is(err, ErrLost) {
		t.Fatalf("Run error = %v, want ErrLost", err)
	}
	if res == nil || res.Error != err.Error() {
		t.Fatalf("result error %q, want %q", res.Error, err)
	}
}

func TestRunCountAndHold(t *testing.T) {
	srv := startTCP(t, frame.Spec{}, nil)
	held := false
	res, err := Run(context.Background(), Config{Addr: srv.addr, Conns: 300, Count: 3, Depth: 2,
		Hold: func(context.Context) error {
			held = true
			if n := srv.active.Load(); n != 300 {
				t.Errorf("server has %d connections during Hold, want 300", n)
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !held || res.Messages != 900 {
		t.Fatalf("held=%v messages=%d, want 900", held, res.Messages)
	}
}

func TestRunRefused(t *testing.T) {
	srv := startTCP(t, frame.Spec{}, nil)
	addr := srv.addr
	srv.stop()
	_, err := Run(context.Background(), Config{Addr: addr, Duration: time.Second})
	if err == nil {
		t.Fatal("Run against a closed port succeeded")
	}
}

func TestRunCancel(t *testing.T) {
	srv := startTCP(t, frame.Spec{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Run(ctx, Config{Addr: srv.addr, Duration: time.Minute, Progress: func(p Progress) {
		if p.Messages > 0 {
			cancel()
		}
	}, ProgressInterval: 20 * time.Millisecond})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v, want context.Canceled", err)
	}
}

// TestRunCountWindowOpensFirst checks that in Count mode, where every
// message is measured, Config.Window opens the window before the first
// message reaches the server and closes it after the last echo.
func TestRunCountWindowOpensFirst(t *testing.T) {
	var frames atomic.Int64
	srv := startTCP(t, frame.Spec{}, func(_ int, f []byte) []byte {
		frames.Add(1)
		return f
	})
	var atStart, atEnd int64 = -1, -1
	res, err := Run(context.Background(), Config{Addr: srv.addr, Conns: 3, Workers: 2, Count: 40,
		Window: func(end bool) {
			if end {
				atEnd = frames.Load()
			} else {
				atStart = frames.Load()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if atStart != 0 || atEnd != 120 || res.Messages != 120 {
		t.Fatalf("the server had seen %d frames as the window opened and %d as it closed, %d measured; want 0, 120, 120", atStart, atEnd, res.Messages)
	}
}
