//go:build linux

package hostile

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// Out-of-process starvation shape: ping-pong connections and how often
// each sends; the slice pairs, one slice idle and one under the flood, a
// round measures and may try; the rounds a case may run; the factor a
// fair engine stays within; and the share of the server's CPU, or of the
// clients', other work may take in a slice pair that counts as
// undisturbed.
const (
	floodPingers   = 20
	floodPace      = 2 * time.Millisecond
	floodSlice     = 100 * time.Millisecond
	floodSlices    = 8
	floodMaxPairs  = 14
	floodMaxRounds = 4
	floodMaxFactor = 5.0
	floodBusy      = 0.10
)

// starvationProcessCase is the starvation case as users deploy a server:
// the echo-tcp binary in a process of its own, pinned to one CPU (so
// GOMAXPROCS is 1 and the server's CPU is the contended resource), and
// the clients on the other CPUs: the ping-pong clients in the test
// process, pinned there for the case so that their wake-ups never wait
// for the server's CPU, and one flooding client in a process of its own
// under SCHED_IDLE, so that it takes no more CPU from them than a client
// on another machine would.
//
// floodPingers connections each send a pingSize message every floodPace,
// one in flight. A slice pair is a slice of floodSlice on the idle
// server, then one while the flooder writes floodChunk blocks as fast as
// the server takes them and reads the echo; alternating lets both see
// the same noise from the rest of the machine. A round measures pairs
// until floodSlices of them were undisturbed (other work took at most
// floodBusy of the server's CPU and of the clients'), or else keeps all
// floodMaxPairs and counts as disturbed; its factor is the p99 round trip of its
// loaded slices over that of its idle ones. Rounds go on until two
// undisturbed ones agree on which side of floodMaxFactor they lie, or
// three undisturbed ones ran, or floodMaxRounds ran. The median factor of
// the undisturbed rounds must not exceed floodMaxFactor: one connection
// must not take the server from the others. If they did not decide, the
// machine was too busy to judge the engine on, and the case is skipped
// with the rounds it measured.
func starvationProcessCase(t tb, x *env) {
	if raceDetector {
		// The ping-pong clients run in this binary and the flooder is a
		// copy of it: instrumented, they take several times the CPU per
		// message on the clients' CPU, where the flood's kernel work
		// runs too, and they rather than the server set the tail under
		// the flood (a -race run measured std at 5.2 and pool at 6.5
		// with the server's CPU calm; 1.5 and 1.2 without -race).
		x.skip(t, "built with -race, which slows the case's own clients several times over; make hostile measures it without")
		return
	}
	bin, _ := binaries(t)
	serverCPU, clientCPUs, allCPUs := splitCPUs(t)
	args := []string{bin, "--engine", x.name, "--addr", "127.0.0.1:0"}
	if serverCPU != "" {
		args = append([]string{"taskset", "--cpu-list", serverCPU}, args...)
		pinSelf(t, clientCPUs, allCPUs)
	}
	p := startCmd(t, exec.Command(args[0], args[1:]...))
	conns := make([]net.Conn, floodPingers)
	for i := range conns {
		conns[i] = dial(t, p.addr)
		if err := echo(conns[i], make([]byte, pingSize)); err != nil {
			t.Fatalf("first echo of ping-ponger %d: %v", i, err)
		}
	}
	f := startFlooder(t, p.addr, clientCPUs)
	f.pause(t)
	// Other work on the server's CPU is what disturbs the measurement:
	// under the flood the server wants all of it. With nothing pinned,
	// any other work on the machine counts.
	meters := []cpuMeter{{cpu: serverCPU, pids: []int{p.pid}}}
	if serverCPU == "" {
		meters[0].pids = append(meters[0].pids, os.Getpid(), f.cmd.Process.Pid)
	} else {
		// Other work on the clients' CPUs disturbs it as much: the
		// ping-pong clients share them with the flood's own kernel
		// work, so anything more there delays them under the flood
		// more than on the idle server.
		meters = append(meters, cpuMeter{cpu: clientCPUs, pids: []int{os.Getpid(), f.cmd.Process.Pid}})
	}
	var all, calm []floodRound
	for len(all) < floodMaxRounds && !decided(calm) {
		r, err := measureFlood(t, conns, f, meters)
		if err != nil {
			t.Fatalf("round %d: %v", len(all)+1, err)
		}
		all = append(all, r)
		if !r.disturbed {
			calm = append(calm, r)
		}
	}
	f.stop(t)
	var each []string
	for _, r := range all {
		each = append(each, r.String())
	}
	if !decided(calm) {
		x.skip(t, "other work kept the machine too busy to measure on: rounds %s", strings.Join(each, "; "))
		return
	}
	med := median(calm)
	x.note(t, "p99 %v idle, %v under flood: factor %.1f, the median of the undisturbed rounds (%s); flood echoed %d MiB/s",
		med.idle.Round(time.Microsecond), med.loaded.Round(time.Microsecond), med.factor(),
		strings.Join(each, "; "), med.rate>>20)
	if med.factor() > floodMaxFactor {
		t.Errorf("one flooding connection raised the others' p99 round trip %.1f times (%v idle, %v under flood); want at most %.0f",
			med.factor(), med.idle, med.loaded, floodMaxFactor)
	}
}

// floodRound is one round's measurement.
type floodRound struct {
	idle, loaded time.Duration // p99 round trips
	pairs, tried int           // slice pairs kept, and measured
	rate         int64         // bytes per second the flooder got back
	others       float64       // share of the CPU time other work took, on the busier side
	disturbed    bool          // too few undisturbed pairs: all were kept
}

// factor is how many times the flood raised the p99.
func (r floodRound) factor() float64 {
	return float64(r.loaded) / float64(max(r.idle, time.Microsecond))
}

// String summarises the round for the results.
func (r floodRound) String() string {
	s := fmt.Sprintf("%.1f from %d of %d slice pairs, others %.0f%%", r.factor(), r.pairs, r.tried, 100*r.others)
	if r.disturbed {
		s += ", disturbed"
	}
	return s
}

// decided reports whether rounds settle the case: three of them, or two
// on the same side of floodMaxFactor.
func decided(rounds []floodRound) bool {
	switch len(rounds) {
	case 0, 1:
		return false
	case 2:
		return (rounds[0].factor() > floodMaxFactor) == (rounds[1].factor() > floodMaxFactor)
	}
	return true
}

// median returns the round with the median factor (the higher of the two
// middle ones for an even count).
func median(rounds []floodRound) floodRound {
	s := slices.Clone(rounds)
	slices.SortFunc(s, func(a, b floodRound) int {
		switch fa, fb := a.factor(), b.factor(); {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	})
	return s[len(s)/2]
}

// measureFlood runs one round on conns with the paused flooder f, and
// leaves f paused; meters tell how much CPU other work took meanwhile, a
// pair counting as disturbed by the busiest of them.
func measureFlood(t tb, conns []net.Conn, f *flooder, meters []cpuMeter) (floodRound, error) {
	var calm, all slicePairs
	for all.n < floodMaxPairs && calm.n < floodSlices {
		before := make([]cpuSample, len(meters))
		for i, m := range meters {
			before[i] = m.sample()
		}
		idle, err := pacedPings(conns, floodSlice)
		if err != nil {
			return floodRound{}, fmt.Errorf("ping-pong on an idle server: %w", err)
		}
		f.resume(t)
		began, echoed := time.Now(), f.echoed(t)
		loaded, err := pacedPings(conns, floodSlice)
		took, echoed := time.Since(began), f.echoed(t)-echoed
		f.pause(t)
		if err != nil {
			return floodRound{}, fmt.Errorf("ping-pong while one connection floods: %w", err)
		}
		others := 0.0
		for i, m := range meters {
			others = max(others, m.sample().others(before[i]))
		}
		all.add(idle, loaded, echoed, took, others)
		if others <= floodBusy {
			calm.add(idle, loaded, echoed, took, others)
		}
	}
	if calm.n >= floodSlices {
		return calm.round(all.n, false), nil
	}
	return all.round(all.n, true), nil
}

// cpuMeter samples the CPU time of cpu (all CPUs if empty) and of pids,
// the processes whose work on it is the case's own.
type cpuMeter struct {
	cpu  string
	pids []int
}

// sample reads the meter.
func (m cpuMeter) sample() cpuSample { return sampleCPU(m.cpu, m.pids...) }

// slicePairs accumulates the slice pairs of a round.
type slicePairs struct {
	n            int
	idle, loaded []time.Duration
	echoed       int64
	took         time.Duration
	others       float64
}

// add counts one slice pair.
func (p *slicePairs) add(idle, loaded []time.Duration, echoed int64, took time.Duration, others float64) {
	p.n++
	p.idle = append(p.idle, idle...)
	p.loaded = append(p.loaded, loaded...)
	p.echoed += echoed
	p.took += took
	p.others += others
}

// round sums the pairs up as a round that measured tried pairs.
func (p *slicePairs) round(tried int, disturbed bool) floodRound {
	return floodRound{
		idle:      p99(p.idle),
		loaded:    p99(p.loaded),
		pairs:     p.n,
		tried:     tried,
		rate:      int64(float64(p.echoed) / max(p.took.Seconds(), 1e-9)),
		others:    p.others / float64(max(p.n, 1)),
		disturbed: disturbed,
	}
}
