//go:build linux

package hostile

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rawnet/rawnet/engine/enginetest"
)

// rcase is one attack on relay-tcp, run as a process in front of an
// echo-tcp process, as TestRelay/<name>.
type rcase struct {
	name  string
	quick bool // runs in every `go test`; the others in the long mode
	run   func(t *testing.T, x *env)
}

// relayCases lists TestRelay's cases in the order it runs them.
func relayCases() []rcase {
	return []rcase{
		{name: "relay/halfclose", quick: true, run: relayHalfCloseCase},
		{name: "relay/rst-midwrite", quick: true, run: relayResetCase},
		{name: "relay/neverread-rss", quick: true, run: relayNeverReadCase},
		{name: "relay/emfile-storm", quick: true, run: relayEMFILECase},
		{name: "relay/slowloris-idle", quick: true, run: relaySlowlorisCase},
		{name: "relay/sigterm-drain", quick: true, run: relaySigtermCase},
	}
}

// relayColumn is the results table's column for TestRelay's cases.
const relayColumn = "relay-tcp"

// TestRelay attacks relay-tcp as a process in front of echo-tcp (on its
// default engine), so that what a client reads back has crossed the relay
// both ways. The results table shows the cases in a column of their own.
func TestRelay(t *testing.T) {
	full := fullMode()
	if f := flag.Lookup("test.run"); f != nil && strings.Contains(f.Value.String(), "TestRelay/") {
		full = true
	}
	for _, c := range relayCases() {
		t.Run(c.name, func(t *testing.T) {
			cl := record(c.name, relayColumn)
			t.Cleanup(func() { cl.settle(t) })
			if !c.quick && !full {
				cl.skip = "long case: RAWNET_HOSTILE=full runs it"
				t.Skip(cl.skip)
			}
			checkLeaks(t)
			c.run(t, &env{name: relayColumn, cell: cl})
		})
	}
}

// rig is an echo-tcp process and a relay-tcp process forwarding to it.
type rig struct {
	echo, relay *proc
}

// startRig starts echo-tcp, then relay-tcp in front of it with extra
// flags; both log warnings only and are killed when the case ends.
func startRig(t *testing.T, extra ...string) *rig {
	t.Helper()
	echoBin, _ := binaries(t)
	relayBin := relayBinary(t)
	e := startCmd(t, exec.Command(echoBin, "--addr", "127.0.0.1:0", "--log-level", "warn"))
	args := append([]string{"--addr", "127.0.0.1:0", "--upstream", e.addr, "--log-level", "warn"}, extra...)
	r := startCmd(t, exec.Command(relayBin, args...))
	return &rig{echo: e, relay: r}
}

// relaySplice are the relay's data paths, for cases that run on each.
var relaySplice = []string{"on", "off"}

// relayHalfCloseCase sends 8 MiB through the relay on each data path and
// half-closes: the echo that comes back through it must have the SHA-256
// of what was sent, so every byte crossed both directions in order, and
// must end with EOF once the client's FIN has reached echo-tcp and
// echo-tcp's own FIN has come back.
func relayHalfCloseCase(t *testing.T, x *env) {
	const size = 8 << 20
	for _, splice := range relaySplice {
		r := startRig(t, "--splice="+splice)
		c := dial(t, r.relay.addr)
		wrote := sendAndClose(c, rand.NewChaCha8(seed32(newRand(t))), size, false)
		sum, n, rerr := hashReader(c, patience)
		w := <-wrote
		if w.err != nil {
			t.Fatalf("splice=%s: sending %d bytes: %v", splice, size, w.err)
		}
		if !errors.Is(rerr, io.EOF) {
			t.Errorf("splice=%s: echo ended with %v after %d of %d bytes, want EOF", splice, rerr, n, w.n)
		}
		if n != w.n || !bytes.Equal(sum, w.sum) {
			t.Errorf("splice=%s: echo of %d bytes: got %d bytes with SHA-256 %x, want %x", splice, w.n, n, sum, w.sum)
		}
		_, totals := r.relay.terminate(t, patience)
		if totals["done"] != 1 || totals["active"] != 0 {
			t.Errorf("splice=%s: totals %v, want one pair done and none active", splice, totals)
		}
	}
}

// relayResetCase resets clients in the middle of their writes, with
// echo bytes in flight in the relay: each reset must end only its pair,
// with the reset carried to echo-tcp, so that both processes' sockets
// return to where they were, and the relay must go on forwarding.
func relayResetCase(t *testing.T, x *env) {
	const rounds = 10
	for _, splice := range relaySplice {
		r := startRig(t, "--splice="+splice)
		if err := echo(dial(t, r.relay.addr), ping); err != nil {
			t.Fatalf("splice=%s: echo before the resets: %v", splice, err)
		}
		relayFDs, echoFDs := countSockets(r.relay.pid), countSockets(r.echo.pid)
		chunk := make([]byte, 1<<20)
		for i := range rounds {
			// The relay is still forwarding this MiB one way and its
			// echo the other when the reset comes.
			c := dial(t, r.relay.addr)
			c.SetWriteDeadline(time.Now().Add(patience))
			if _, err := c.Write(chunk); err != nil {
				t.Fatalf("splice=%s: round %d: %v", splice, i, err)
			}
			if err := lingerReset(c); err != nil {
				t.Fatalf("reset: %v", err)
			}
		}
		waitFor(t, fmt.Sprintf("splice=%s: relay and echo-tcp sockets back to %d and %d after %d resets",
			splice, relayFDs, echoFDs, rounds), func() bool {
			return countSockets(r.relay.pid) <= relayFDs && countSockets(r.echo.pid) <= echoFDs
		})
		if err := echo(dial(t, r.relay.addr), bytes.Repeat(ping, 1000)); err != nil {
			t.Errorf("splice=%s: echo after %d resets mid-write: %v", splice, rounds, err)
		}
		_, totals := r.relay.terminate(t, patience)
		if totals["client_reset"] != rounds {
			t.Errorf("splice=%s: totals %v, want client_reset=%d", splice, totals, rounds)
		}
	}
}

// Never-reader shape: clients that write and never read, how much each
// may write before it must block, and how much the relay's resident
// memory may grow while they are stuck. Each pair may hold a pipe or a
// 64 KiB buffer per direction; everything else must stay in the kernel's
// socket buffers, where TCP flow control holds the writers back.
const (
	neverReaders   = 16
	neverReadLimit = 256 << 20
	neverReadRSS   = 16 << 20
)

// relayNeverReadCase has clients write to the relay, on each data path,
// and never read what echo-tcp sends back: each client's writes must
// block, the relay's RSS must grow by less than neverReadRSS, and a new
// client must be served meanwhile.
func relayNeverReadCase(t *testing.T, x *env) {
	for _, splice := range relaySplice {
		r := startRig(t, "--splice="+splice)
		if err := echo(dial(t, r.relay.addr), bytes.Repeat(ping, 1000)); err != nil {
			t.Fatalf("splice=%s: echo before: %v", splice, err)
		}
		rss0 := rss(r.relay.pid)
		var wg sync.WaitGroup
		sent := make([]int, neverReaders)
		errs := make([]error, neverReaders)
		for i := range neverReaders {
			c := dial(t, r.relay.addr)
			wg.Add(1)
			go func() {
				defer wg.Done()
				sent[i], errs[i] = fillUntilBlocked(c, make([]byte, 64<<10), neverReadLimit, 500*time.Millisecond)
				if errs[i] == nil && sent[i] >= neverReadLimit {
					errs[i] = fmt.Errorf("wrote %d bytes without blocking", sent[i])
				}
			}()
		}
		wg.Wait()
		total := 0
		for i, err := range errs {
			if err != nil {
				t.Fatalf("splice=%s: never-reader %d: %v", splice, i, err)
			}
			total += sent[i]
		}
		grew := rss(r.relay.pid) - rss0
		x.note(t, "splice=%s: %d never-readers wrote %d MiB before blocking; relay RSS grew %d KiB",
			splice, neverReaders, total>>20, grew>>10)
		if grew > neverReadRSS {
			t.Errorf("splice=%s: relay RSS grew %d KiB while %d clients did not read, over %d KiB",
				splice, grew>>10, neverReaders, neverReadRSS>>10)
		}
		if err := echo(dial(t, r.relay.addr), bytes.Repeat(ping, 1000)); err != nil {
			t.Errorf("splice=%s: echo beside the never-readers: %v", splice, err)
		}
		r.relay.kill()
	}
}

// relayEMFILECase lowers relay-tcp's descriptor limit with prlimit so
// that two pairs more can open, then opens a burst of connections: while
// it cannot accept or connect, the relay must not spin (CPU under
// stormMaxCPU of a core, bounded logging), the pairs open before must
// keep forwarding, and once the burst goes away it must forward new
// clients again by itself.
func relayEMFILECase(t *testing.T, x *env) {
	r := startRig(t)
	p := r.relay
	existing := make([]net.Conn, stormExisting)
	for i := range existing {
		existing[i] = dial(t, p.addr)
		if err := echo(existing[i], ping); err != nil {
			t.Fatalf("echo before the storm: %v", err)
		}
	}
	// Room for two pairs more. The loops accept a batch of clients before
	// any of them connects, so at the limit most accepted clients have
	// their upstream socket fail (connect_error), and the queue left by
	// the burst drains at a few clients per accept pause: the burst is
	// kept to relayStormBurst so that the recovery takes a second or two.
	restore := lowerNofile(t, p.pid, countFDs(p.pid)+4)
	t.Cleanup(restore)
	burst := make([]net.Conn, 0, relayStormBurst)
	closeBurst := func() {
		for _, c := range burst {
			c.Close()
		}
		burst = burst[:0]
	}
	t.Cleanup(closeBurst)
	for range relayStormBurst {
		c, err := net.DialTimeout("tcp", p.addr, patience)
		if err != nil {
			t.Fatalf("dial during the storm: %v", err)
		}
		burst = append(burst, c)
	}
	cpu0, logs0, began := cpuTime(p.pid), p.stderr.count(), time.Now()
	for time.Since(began) < stormWindow {
		for i, c := range existing {
			if err := echo(c, ping); err != nil {
				t.Fatalf("existing pair %d during the storm: %v", i, err)
			}
		}
		time.Sleep(100 * time.Millisecond) // pacing, not synchronisation
	}
	window := time.Since(began)
	used := cpuTime(p.pid) - cpu0
	logs := p.stderr.count() - logs0
	share := float64(used) / float64(window)
	x.note(t, "relay CPU %.0f%% of a core and %d log lines over a %v EMFILE storm", 100*share, logs, window.Round(time.Millisecond))
	if share > stormMaxCPU {
		t.Errorf("relay used %v CPU in %v with no descriptor to accept into: a busy accept loop", used, window)
	}
	if logs > stormMaxLogs {
		t.Errorf("relay logged %d lines in %v of EMFILE: logging is not rate-limited", logs, window)
	}
	closeBurst()
	gone := time.Now()
	// The limit stays low: the relay recovers because descriptors free
	// up, not because the limit rose.
	waitFor(t, "relay did not forward a new client after the burst went away", func() bool {
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err != nil {
			return false
		}
		defer c.Close()
		return echoWithin(c, ping, 2*time.Second) == nil
	})
	x.note(t, "forwarding again %v after the burst went away", time.Since(gone).Round(100*time.Millisecond))
	restore()
	p.terminate(t, patience)
}

// relayStormBurst is the relay's EMFILE burst (see relayEMFILECase).
const relayStormBurst = 50

// Slowloris shape for the relay: connections of each kind, and the idle
// timeout.
const (
	relayLoris     = 100
	relayLorisIdle = 500 * time.Millisecond
)

// relaySlowlorisCase opens, through a relay with --idle-timeout, clients
// that send nothing, clients that send one message and then nothing, and
// clients that trickle a byte four times per idle timeout. A relay does
// not frame, so every forwarded byte is activity: the silent pairs must
// be closed within lorisTimeout idle timeouts, with their upstream side,
// so that both processes' sockets return to where they were with the
// tricklers alone left open, and the tricklers must still be forwarded.
func relaySlowlorisCase(t *testing.T, x *env) {
	idle, every := relayLorisIdle, relayLorisIdle/lorisTicks
	r := startRig(t, "--idle-timeout", idle.String())
	relayFDs, echoFDs := countSockets(r.relay.pid), countSockets(r.echo.pid)
	var tricklers []net.Conn
	var silent sync.WaitGroup
	ended := make(chan error, 2*relayLoris)
	t.Cleanup(silent.Wait)
	for i := range 3 * relayLoris {
		c := dial(t, r.relay.addr)
		if i%3 == 0 {
			tricklers = append(tricklers, c)
			continue
		}
		if i%3 == 2 {
			if err := echo(c, []byte("one message\n")); err != nil {
				t.Fatalf("echo of a message: %v", err)
			}
		}
		// A silent client closes once the relay has ended its stream,
		// as a client does, so the relay's side need not linger.
		silent.Add(1)
		go func() {
			defer silent.Done()
			_, err := readToEnd(c, lorisTimeout*idle+patience)
			c.Close()
			ended <- err
		}()
	}
	// Each trickler holds a pair: two sockets in the relay and one in
	// echo-tcp.
	wantRelay, wantEcho := relayFDs+2*relayLoris, echoFDs+relayLoris
	began := time.Now()
	deadline := began.Add(lorisTimeout*idle + time.Second)
	tick := time.NewTicker(every)
	defer tick.Stop()
	var rfds, efds int
	for {
		rfds, efds = countSockets(r.relay.pid), countSockets(r.echo.pid)
		if (rfds <= wantRelay && efds <= wantEcho) || time.Now().After(deadline) {
			break
		}
		for _, c := range tricklers {
			c.SetWriteDeadline(time.Now().Add(every))
			if _, err := c.Write([]byte{'x'}); err != nil {
				t.Fatalf("trickler closed after %v: %v", time.Since(began).Round(time.Millisecond), err)
			}
		}
		<-tick.C
	}
	took := time.Since(began).Round(100 * time.Millisecond)
	x.note(t, "%d silent pairs reaped in %v (idle timeout %v), %d tricklers kept", 2*relayLoris, took, idle, relayLoris)
	if rfds > wantRelay || efds > wantEcho {
		t.Fatalf("after %v: relay holds %d descriptors and echo-tcp %d, want %d and %d with only the %d tricklers open",
			took, rfds, efds, wantRelay, wantEcho, relayLoris)
	}
	for range 2 * relayLoris {
		if err := <-ended; !errors.Is(err, io.EOF) {
			t.Fatalf("silent client: %v, want the relay's FIN", err)
		}
	}
	// What the tricklers sent came back through the relay.
	buf := make([]byte, 64<<10)
	for i, c := range tricklers {
		c.SetReadDeadline(time.Now().Add(patience))
		if n, err := c.Read(buf); err != nil || n == 0 || !bytes.Equal(buf[:n], bytes.Repeat([]byte{'x'}, n)) {
			t.Fatalf("trickler %d: read %q, %v", i, buf[:n], err)
		}
	}
	_, totals := r.relay.terminate(t, patience)
	if totals["idle_timeout"] != 2*relayLoris {
		t.Errorf("totals %v, want idle_timeout=%d", totals, 2*relayLoris)
	}
}

// relaySigtermCase sends SIGTERM to relay-tcp while three clients are in
// different states: one reading its 8 MiB echo as it comes, one that
// stopped reading with its echo stuck, and one that wrote until its
// writes blocked, half-closed, and starts reading only after the drain
// has run several of its quiet periods (200 ms in relay-tcp). The first
// and the late reader must get their echo byte-exact and then EOF:
// nothing the relay had accepted may be dropped as quiet. The stuck one
// holds bytes the relay cannot deliver, so the drain lasts until
// --shutdown-timeout and then cuts it; the process must exit 0 with a
// totals line.
func relaySigtermCase(t *testing.T, x *env) {
	const (
		size      = 8 << 20
		drain     = 2 * time.Second
		lateAfter = 800 * time.Millisecond // four of the drain's quiet periods
	)
	r := startRig(t, "--shutdown-timeout", drain.String())
	p := r.relay
	stuck := dial(t, p.addr)
	if sent, err := fillUntilBlocked(stuck, make([]byte, 64<<10), 512<<20, 500*time.Millisecond); err != nil {
		t.Fatalf("filling the stuck connection after %d bytes: %v", sent, err)
	}
	rng := newRand(t)
	late := dial(t, p.addr)
	lateSum, lateSent, err := fillHashed(late, rand.NewChaCha8(seed32(rng)), 512<<20, 500*time.Millisecond)
	if err == nil {
		err = late.CloseWrite()
	}
	if err != nil {
		t.Fatalf("filling the late reader after %d bytes: %v", lateSent, err)
	}
	good := dial(t, p.addr)
	wrote := sendAndClose(good, rand.NewChaCha8(seed32(rng)), size, false)
	first := make([]byte, 1<<20)
	good.SetReadDeadline(time.Now().Add(patience))
	if _, err := io.ReadFull(good, first); err != nil {
		t.Fatalf("first MiB of the echo: %v", err)
	}
	var took time.Duration
	var totals map[string]uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		took, totals = p.terminate(t, drain+patience)
	}()
	lateDone := make(chan error, 1)
	go func() {
		// Pacing: the late reader must outlast the drain's quiet period.
		time.Sleep(lateAfter)
		sum, n, rerr := hashReader(late, patience)
		switch {
		case !errors.Is(rerr, io.EOF):
			lateDone <- fmt.Errorf("echo ended with %v after %d of %d bytes, want EOF", rerr, n, lateSent)
		case n != lateSent || !bytes.Equal(sum, lateSum):
			lateDone <- fmt.Errorf("echo of %d bytes: got %d bytes with SHA-256 %x, want %x", lateSent, n, sum, lateSum)
		default:
			lateDone <- nil
		}
	}()
	h := sha256.New()
	h.Write(first)
	rest, n, rerr := hashReaderInto(good, h, patience)
	w := <-wrote
	if w.err != nil {
		t.Fatalf("sending %d bytes: %v", size, w.err)
	}
	if !errors.Is(rerr, io.EOF) || len(first)+n != w.n || !bytes.Equal(rest, w.sum) {
		t.Errorf("reading client: echo of %d bytes ended with %v after %d, SHA-256 match %v",
			w.n, rerr, len(first)+n, bytes.Equal(rest, w.sum))
	}
	if err := <-lateDone; err != nil {
		t.Errorf("client that read late: %v", err)
	}
	// The stuck client reads only once the relay has exited, which
	// cut it at the shutdown timeout: reading earlier would unblock it.
	wg.Wait()
	if _, err := readToEnd(stuck, patience); !errors.Is(err, io.EOF) && !isReset(err) {
		t.Errorf("stuck client: %v, want end of stream", err)
	}
	x.note(t, "exit %v after SIGTERM with --shutdown-timeout %v", took.Round(10*time.Millisecond), drain)
	if took < drain-100*time.Millisecond {
		t.Errorf("relay exited %v after SIGTERM, before --shutdown-timeout %v, while it held bytes for the stuck client", took, drain)
	}
	if totals != nil && (totals["active"] != 0 || totals["accepted"] != 3) {
		t.Errorf("totals %v, want 3 accepted and none active", totals)
	}
}

// isReset reports whether err is a connection reset.
func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

// countSockets returns the number of sockets process pid holds, or -1 if
// /proc cannot tell. Unlike countFDs it leaves out the pipes a relay
// keeps pooled for later pairs.
func countSockets(pid int) int {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return -1
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}

// fillHashed writes random bytes from rng to c until limit bytes are sent
// or a write makes no progress for wait, and returns the SHA-256 and
// length of what c took. A write that blocks is the expected end.
func fillHashed(c net.Conn, rng *rand.ChaCha8, limit int, wait time.Duration) ([]byte, int, error) {
	h := sha256.New()
	chunk := make([]byte, 64<<10)
	sent := 0
	for sent < limit {
		rng.Read(chunk)
		c.SetWriteDeadline(time.Now().Add(wait))
		n, err := c.Write(chunk)
		h.Write(chunk[:n])
		sent += n
		if enginetest.IsTimeout(err) {
			break
		}
		if err != nil {
			return nil, sent, fmt.Errorf("write: %w", err)
		}
	}
	c.SetWriteDeadline(time.Time{})
	return h.Sum(nil), sent, nil
}
