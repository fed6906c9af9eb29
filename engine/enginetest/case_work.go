package enginetest

import (
	"sync"
	"syscall"
	"time"

	"github.com/rawnet/rawnet/engine"
	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/frame"
)

// Handler work sizes. The sleeps and burns are long enough to stand out
// from an echo's own time on a loaded machine under -race, and few enough
// that the cases take a fraction of a second.
const (
	workConns      = 6
	workConnBytes  = 40 << 10
	workSleep      = 5 * time.Millisecond
	workSleepPings = 6
	workBatch      = 3 // frames in one write, each sleeping workSleep
	workBurn       = 2 * time.Millisecond
	workBurnPings  = 15
)

// workEchoSpec is the mixed work of the byte-exactness check: a burn on
// half the frames, a sleep on a few, as --work would give them.
const workEchoSpec = "cpu:20us@50%,sleep:1ms@2%"

// workCase checks that Config.Work is applied to every frame before its
// echo and that the echo stays byte-exact: mixed work on many connections
// at once, a sleep every frame must wait out (alone and in a batch, where
// each frame sleeps), and a burn the process's CPU time must show.
func workCase(t tb, e engine.Engine) {
	f := framing{"fixed", frame.Spec{Kind: frame.KindFixed, FixedSize: 100}}
	srv := start(t, e, engine.Config{Frame: f.spec, Work: parseWork(t, workEchoSpec)})
	rng := newRand(t)
	var wg sync.WaitGroup
	for i := range workConns {
		seed := rng.Uint64()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := echoStream(srv, f, seed, workConnBytes); err != nil {
				t.Errorf("work %s, connection %d (stream seed %d): %v", workEchoSpec, i, seed, err)
			}
		}()
	}
	wg.Wait()

	g, err := newGen(rng, f.spec)
	if err != nil {
		t.Fatalf("%v", err)
	}
	sleepy := start(t, e, engine.Config{Frame: f.spec, Work: parseWork(t, "sleep:5ms")})
	c := dial(t, sleepy)
	for i := range workSleepPings {
		begin := time.Now()
		if err := echo(c, g.frame(100)); err != nil {
			t.Fatalf("sleep:5ms, frame %d: %v", i, err)
		}
		if took := time.Since(begin); took < workSleep {
			t.Errorf("sleep:5ms, frame %d: echoed after %v, before its sleep was over", i, took)
		}
	}
	var batch []byte
	for range workBatch {
		batch = append(batch, g.frame(100)...)
	}
	begin := time.Now()
	if err := echo(c, batch); err != nil {
		t.Fatalf("sleep:5ms, %d frames in one write: %v", workBatch, err)
	}
	if took := time.Since(begin); took < workBatch*workSleep {
		t.Errorf("sleep:5ms, %d frames in one write: echoed after %v, want at least %v (a sleep per frame)", workBatch, took, workBatch*workSleep)
	}

	burn, err := work.Parse("cpu:2ms")
	if err != nil {
		t.Logf("no burn check: %v", err) // CPU work needs Linux
		return
	}
	busy := start(t, e, engine.Config{Frame: f.spec, Work: burn})
	c = dial(t, busy)
	before := processCPU(t)
	for i := range workBurnPings {
		if err := echo(c, g.frame(100)); err != nil {
			t.Fatalf("cpu:2ms, frame %d: %v", i, err)
		}
	}
	checkBurned(t, "cpu:2ms", processCPU(t)-before, workBurnPings*workBurn)
}

// udpWorkCase checks that every datagram gets Config.Work before its
// echo: each waits out its sleep, a burn shows in the process's CPU time,
// and the echoes are byte-exact.
func udpWorkCase(t tb, e engine.Engine) {
	g, err := newGen(newRand(t), frame.Spec{})
	if err != nil {
		t.Fatalf("%v", err)
	}
	sent := make(map[string]bool)
	stale := func(p []byte) bool { return sent[string(p)] }
	next := func() []byte {
		msg := g.frame(64)
		for sent[string(msg)] {
			msg = g.frame(64)
		}
		return msg
	}
	srv := start(t, e, engine.Config{Network: "udp", Loops: 2, Work: parseWork(t, "sleep:5ms")})
	c := udpDial(t, srv)
	for i := range workSleepPings {
		msg := next()
		begin := time.Now()
		if err := udpEcho(c, msg, stale); err != nil {
			t.Fatalf("sleep:5ms, datagram %d: %v", i, err)
		}
		sent[string(msg)] = true
		if took := time.Since(begin); took < workSleep {
			t.Errorf("sleep:5ms, datagram %d: echoed after %v, before its sleep was over", i, took)
		}
	}
	burn, err := work.Parse("cpu:2ms")
	if err != nil {
		t.Logf("no burn check: %v", err) // CPU work needs Linux
		return
	}
	busy := start(t, e, engine.Config{Network: "udp", Loops: 2, Work: burn})
	c = udpDial(t, busy)
	before := processCPU(t)
	echoed := 0
	for i := range workBurnPings {
		msg := next()
		if err := udpEcho(c, msg, stale); err != nil {
			t.Fatalf("cpu:2ms, datagram %d: %v", i, err)
		}
		sent[string(msg)] = true
		echoed++
	}
	checkBurned(t, "cpu:2ms", processCPU(t)-before, time.Duration(echoed)*workBurn)
}

// parseWork parses a spec the case knows to be good.
func parseWork(t tb, s string) work.Spec {
	t.Helper()
	sp, err := work.Parse(s)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return sp
}

// checkBurned fails the case unless the process spent at least 90 % of
// want in CPU time while the frames were served: a burn the engine did
// not apply leaves only the echo's own microseconds. Only a lower bound
// can hold, as the rest of the process (clients, the runtime) spends CPU
// too; package work's tests check the burn's accuracy.
func checkBurned(t tb, spec string, spent, want time.Duration) {
	t.Helper()
	if spent < want*9/10 {
		t.Errorf("%s: the process spent %v of CPU over frames that should have burned %v", spec, spent, want)
	}
}

// processCPU returns the CPU time, user and system, the test process has
// used.
func processCPU(t tb) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
