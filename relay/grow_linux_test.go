//go:build linux

package relay

import (
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// growSize is what the relay grows pipes to on this machine: 1 MiB or
// fs.pipe-max-size, if smaller.
func growSize(t *testing.T) int {
	t.Helper()
	size := int64(growTarget)
	if m, ok := readSysctl("/proc/sys/fs/pipe-max-size"); ok {
		size = min(size, m)
	}
	if size <= 16*int64(os.Getpagesize()) {
		t.Skipf("fs.pipe-max-size %d leaves no room to grow a pipe", size)
	}
	return int(size)
}

// pipesOfSize counts the process's open pipes whose capacity
// (F_GETPIPE_SZ) is size, each counted once for its two ends.
func pipesOfSize(t *testing.T, size int) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range ents {
		link, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil || !strings.HasPrefix(link, "pipe:") || seen[link] {
			continue
		}
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if n, err := unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0); err == nil && n == size {
			seen[link] = true
		}
	}
	return len(seen)
}

// bulkPairs exchanges n bytes each way through r over pairs pairs at
// once, each client with a seed of its own, and checks every byte.
func bulkPairs(t *testing.T, r *Relay, fromBackend <-chan exchanged, pairs, n int) {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	results := make(chan exchanged, pairs)
	for i := range pairs {
		go func() {
			res, err := exchange(r, net.Dialer{}, n, seed+uint64(2+i))
			if err != nil {
				res.err = err
			}
			results <- res
		}()
	}
	var clients, upstreams []exchanged
	for range pairs {
		clients = append(clients, <-results)
		upstreams = append(upstreams, <-fromBackend)
	}
	checkExchanged(t, clients, upstreams, int64(n))
	eventually(t, "the pairs to end", func() bool { return r.Stats().Closed.Done == uint64(pairs) })
}

// TestPipeGrow: a bulk transfer through a splicing path grows its
// direction's pipe and stays byte-exact; with growing off, an explicit
// pipe size or the copy path, no pipe grows.
func TestPipeGrow(t *testing.T) {
	size := growSize(t)
	for _, tc := range []struct {
		name string
		cfg  Config
		grow bool
	}{
		{"auto", Config{Path: PathAuto}, true},
		{"splice", Config{Path: PathSplice}, true},
		{"auto/off", Config{Path: PathAuto, PipeGrowMax: -1}, false},
		{"splice/off", Config{Path: PathSplice, PipeGrowMax: -1}, false},
		{"auto/pipe-size", Config{Path: PathAuto, PipeSize: 128 << 10}, false},
		{"copy", Config{Path: PathCopy}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := pipesOfSize(t, size)
			b, fromBackend := exchangeBackend(t, net.ListenConfig{}, streamSize, 1)
			r, _ := startRelay(t, tc.cfg, b.addr())
			switch {
			case tc.grow && r.PipeGrowSize() != size:
				t.Fatalf("PipeGrowSize() = %d, want %d", r.PipeGrowSize(), size)
			case !tc.grow && (r.PipeGrowSize() != 0 || r.PipeGrowMax() != 0):
				t.Fatalf("PipeGrowSize() = %d, PipeGrowMax() = %d; want 0 when pipes do not grow", r.PipeGrowSize(), r.PipeGrowMax())
			}
			bulkPairs(t, r, fromBackend, 1, streamSize)
			s := r.Stats()
			// The pair has ended and given its pipes back: grown ones
			// wait in their loop's pool, still grown.
			grown := pipesOfSize(t, size) - before
			t.Logf("grows %d, grown now %d (%d of %d bytes), over budget %d, refused %d, spliced %d, copied %d",
				s.PipeGrows, s.GrownPipes, grown, size, s.PipeGrowOverBudget, s.PipeGrowRefused, s.Spliced, s.Copied)
			if s.PipeGrowRefused != 0 {
				t.Errorf("F_SETPIPE_SZ refused %d times", s.PipeGrowRefused)
			}
			if !tc.grow {
				if s.PipeGrows != 0 || s.GrownPipes != 0 || grown != 0 {
					t.Errorf("pipes grew: %d grows, %d grown now, %d pipes of %d bytes", s.PipeGrows, s.GrownPipes, grown, size)
				}
				return
			}
			if s.PipeGrows == 0 || s.GrownPipes == 0 {
				t.Fatalf("no pipe grew: %d grows, %d grown now", s.PipeGrows, s.GrownPipes)
			}
			if int64(grown) != s.GrownPipes {
				t.Errorf("%d pipes of %d bytes open, Stats.GrownPipes %d", grown, size, s.GrownPipes)
			}
			if s.GrownPipes > int64(2*maxFreeGrown) {
				t.Errorf("%d grown pipes pooled, more than %d per loop", s.GrownPipes, maxFreeGrown)
			}
		})
	}
}

// TestPipeGrowBudget: with a budget of one grown pipe, two pairs moving
// bulk both ways on two loops never hold more than one grown pipe
// between them, the others' bulk reads going through pipes of the
// default size, and every byte arrives.
func TestPipeGrowBudget(t *testing.T) {
	size := growSize(t)
	b, fromBackend := exchangeBackend(t, net.ListenConfig{}, streamSize, 1)
	r, _ := startRelay(t, Config{Path: PathSplice, PipeGrowMax: size, Loops: 2}, b.addr())
	if r.PipeGrowMax() != size {
		t.Fatalf("PipeGrowMax() = %d, want %d", r.PipeGrowMax(), size)
	}
	bulkPairs(t, r, fromBackend, 2, streamSize)
	s := r.Stats()
	budget := r.loops[0].budget
	pages := int64(size / os.Getpagesize())
	t.Logf("grows %d, grown now %d, over budget %d; budget peak %d pages of %d", s.PipeGrows, s.GrownPipes, s.PipeGrowOverBudget, budget.peak.Load(), budget.max)
	if peak := budget.peak.Load(); peak != pages {
		t.Errorf("grown pipes peaked at %d pages, want the budget's %d", peak, pages)
	}
	if s.PipeGrows != 1 || s.GrownPipes != 1 || budget.used.Load() != pages {
		t.Errorf("%d grows, %d grown now, %d pages used; want the one grown pipe pooled, %d pages", s.PipeGrows, s.GrownPipes, budget.used.Load(), pages)
	}
	if s.PipeGrowOverBudget == 0 {
		t.Errorf("no bulk read went over the budget of one pipe with four bulk directions")
	}
}

// TestGrownPipeReturn follows a loop's grown pipes from the budget to
// the pool and back: each grown pipe holds its pages in the budget, a
// bulk direction over budget gets a default pipe, a grown pipe given back
// to a full pool shrinks to the default and gives its pages back, a
// pooled one is lent again without growing another, and release gives
// back the rest.
func TestGrownPipeReturn(t *testing.T) {
	size := growSize(t)
	ok, def, err := spliceWorks(0)
	if err != nil || !ok {
		t.Skipf("no splice: %v", err)
	}
	pages := int64(size / os.Getpagesize())
	ls := &loopState{pipeCap: def, growSize: size, budget: &growBudget{max: (maxFreeGrown + 1) * pages}}
	capOf := func(p pipe) int {
		n, err := unix.FcntlInt(uintptr(p.w), unix.F_GETPIPE_SZ, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n != p.cap {
			t.Errorf("pipe says %d bytes, F_GETPIPE_SZ %d", p.cap, n)
		}
		return n
	}
	check := func(step string, grown, used int64, grows, over uint64) {
		t.Helper()
		if g, u, gs, o := ls.stats.grown.Load(), ls.budget.used.Load(), ls.stats.grows.Load(), ls.stats.growOverBudget.Load(); g != grown || u != used || gs != grows || o != over {
			t.Errorf("%s: grown %d, budget used %d, grows %d, over budget %d; want %d, %d, %d, %d", step, g, u, gs, o, grown, used, grows, over)
		}
	}
	var lent []pipe
	for i := range maxFreeGrown + 2 {
		p, err := ls.getPipe(true)
		if err != nil {
			t.Fatal(err)
		}
		want := size
		if i > maxFreeGrown {
			want = def // over budget
		}
		if got := capOf(p); got != want {
			t.Errorf("bulk pipe %d: %d bytes, want %d", i, got, want)
		}
		lent = append(lent, p)
	}
	check("lent", maxFreeGrown+1, (maxFreeGrown+1)*pages, maxFreeGrown+1, 1)
	if p, err := ls.getPipe(false); err != nil || capOf(p) != def {
		t.Errorf("a direction that is not bulk got %d bytes, %v; want %d", p.cap, err, def)
	} else {
		lent = append(lent, p)
	}
	for _, p := range lent {
		ls.putPipe(p)
	}
	check("given back", maxFreeGrown, maxFreeGrown*pages, maxFreeGrown+1, 1)
	if len(ls.grown) != maxFreeGrown || len(ls.pipes) != 3 {
		t.Fatalf("pooled %d grown, %d default pipes; want %d, 3", len(ls.grown), len(ls.pipes), maxFreeGrown)
	}
	for _, p := range ls.pipes {
		if p.grown || capOf(p) != def {
			t.Errorf("a default pipe pooled with %d bytes (grown %v)", p.cap, p.grown)
		}
	}
	p, err := ls.getPipe(true)
	if err != nil || !p.grown || capOf(p) != size {
		t.Fatalf("a bulk direction got a pipe of %d bytes, %v; want a pooled grown one", p.cap, err)
	}
	ls.putPipe(p)
	check("lent again", maxFreeGrown, maxFreeGrown*pages, maxFreeGrown+1, 1)
	ls.release()
	check("released", 0, 0, maxFreeGrown+1, 1)
	if n := ls.stats.pipes.Load(); n != 0 {
		t.Errorf("%d pipes open after release", n)
	}
}

// TestPipeGrowRefused: a pipe F_SETPIPE_SZ refuses to grow keeps its
// size and its pages stay out of the budget; it is counted once and not
// asked again.
func TestPipeGrowRefused(t *testing.T) {
	ok, def, err := spliceWorks(0)
	if err != nil || !ok {
		t.Skipf("no splice: %v", err)
	}
	// Over 2 GiB the kernel has no pipe size to round to and refuses
	// any process (round_pipe_size, EINVAL); the test cannot count on
	// lacking CAP_SYS_RESOURCE to be refused a size over pipe-max-size.
	const tooBig = 1<<31 + 1<<20
	ls := &loopState{pipeCap: def, growSize: tooBig, budget: &growBudget{max: 2 * tooBig / int64(os.Getpagesize())}}
	for i := range 3 {
		p, err := ls.getPipe(true)
		if err != nil {
			t.Fatal(err)
		}
		n, err := unix.FcntlInt(uintptr(p.w), unix.F_GETPIPE_SZ, 0)
		if err != nil || n != def || p.grown || !p.noGrow {
			t.Errorf("lend %d: %d bytes (%v), grown %v, noGrow %v; want %d, not grown, not to be asked again", i, n, err, p.grown, p.noGrow, def)
		}
		ls.putPipe(p)
	}
	if r, u, g := ls.stats.growRefused.Load(), ls.budget.used.Load(), ls.stats.grown.Load(); r != 1 || u != 0 || g != 0 {
		t.Errorf("refused %d, budget used %d, grown %d; want 1, 0, 0", r, u, g)
	}
	ls.release()
}

// TestGrowPolicy: what pipes grow to and the budget, from Config and
// the sysctls.
func TestGrowPolicy(t *testing.T) {
	size := growSize(t)
	page := os.Getpagesize()
	soft, ok := readSysctl("/proc/sys/fs/pipe-user-pages-soft")
	if !ok || soft == 0 {
		soft = defaultSoftPages
	}
	for _, tc := range []struct {
		name       string
		cfg        Config
		defaultCap int
		size       int
		pages      int64
	}{
		{"default", Config{}, 16 * page, size, soft / 4},
		{"budget", Config{PipeGrowMax: 8 << 20}, 16 * page, size, int64(8 << 20 / page)},
		{"budget-under-one-pipe", Config{PipeGrowMax: size / 2}, 16 * page, 0, 0},
		{"off", Config{PipeGrowMax: -1}, 16 * page, 0, 0},
		{"pipe-size", Config{PipeSize: 256 << 10}, 64 * page, 0, 0},
		{"over-soft-quota", Config{}, 2 * page, 0, 0}, // new pipes come with 2 pages
		{"default-as-large", Config{}, size, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Relay{cfg: tc.cfg, log: slog.New(slog.DiscardHandler)}
			size, pages := r.growPolicy(tc.defaultCap)
			if size != tc.size || pages != tc.pages {
				t.Errorf("growPolicy(%d) = %d, %d pages; want %d, %d", tc.defaultCap, size, pages, tc.size, tc.pages)
			}
		})
	}
}

// TestSized: which sequences of splices make a direction big. dry (-1)
// stands for a read that found the source empty, which pull answers by
// clearing d.full.
func TestSized(t *testing.T) {
	const capacity, dry = 64 << 10, -1
	for _, tc := range []struct {
		name   string
		reads  []int
		bigger bool
	}{
		{"exact-size messages one at a time", []int{capacity, dry, capacity, dry, capacity, dry}, false},
		{"a message 4 bytes over the pipe", []int{capacity, 4}, true},
		{"two full splices", []int{capacity, capacity}, true},
		{"short reads", []int{capacity - 1, 4, capacity - 1, dry}, false},
		{"full, dry, then more", []int{capacity, dry, 4}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p pair
			d := &direction{pipe: pipe{cap: capacity}}
			for _, n := range tc.reads {
				if n == dry {
					d.full = false
					continue
				}
				p.sized(d, n)
			}
			if d.big != tc.bigger {
				t.Errorf("reads %v: big %v, want %v", tc.reads, d.big, tc.bigger)
			}
		})
	}
}
