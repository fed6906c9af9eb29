//go:build linux

package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"

	"github.com/rawnet/rawnet/netpoll"
)

// Relay is a running forwarder.
type Relay struct {
	cfg      Config
	srv      *netpoll.Server
	loops    []*loopState
	picker   picker
	log      *slog.Logger
	splice   bool         // the kernel splices and Path is not PathCopy
	auto     bool         // and Path is PathAuto
	growSize int          // what a bulk direction's pipe grows to, 0 for never
	active   atomic.Int64 // open pairs, for MaxConns
}

// Start resolves the upstreams, checks whether the kernel splices and
// starts listening on cfg.Addr. It returns once clients may connect.
func Start(cfg Config) (*Relay, error) {
	ups, err := cfg.upstreams()
	if err != nil {
		return nil, err
	}
	if cfg.MaxConns < 0 || cfg.PipeSize < 0 || cfg.ConnectTimeout < 0 || cfg.IdleTimeout < 0 {
		return nil, errors.New("relay: MaxConns, PipeSize and the timeouts must not be negative")
	}
	r := &Relay{cfg: cfg, picker: picker{ups: ups, balance: cfg.Balance}, log: cfg.Logger}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	ok, capacity, err := spliceWorks(cfg.PipeSize)
	switch {
	case err != nil && cfg.PipeSize > 0:
		return nil, fmt.Errorf("relay: pipe size %d: %w", cfg.PipeSize, err)
	case cfg.Path != PathCopy && !ok:
		r.log.Warn("relay: the kernel does not splice a socket into a pipe; copying instead", "err", err)
	}
	r.splice = ok && cfg.Path != PathCopy
	r.auto = r.splice && cfg.Path == PathAuto
	pipeCap := max(capacity, os.Getpagesize())
	budget := &growBudget{}
	if r.splice {
		r.growSize, budget.max = r.growPolicy(pipeCap)
	}
	for range cfg.loops() {
		r.loops = append(r.loops, &loopState{
			buf: make([]byte, copyBuffer), pipeSize: cfg.PipeSize, pipeCap: pipeCap,
			growSize: r.growSize, budget: budget,
		})
	}
	opts := cfg.Sockopts
	r.srv, err = netpoll.Listen("tcp", cfg.Addr, r, netpoll.Config{
		Loops:          cfg.loops(),
		CPUs:           cfg.CPUs,
		Wait:           cfg.Wait,
		HoldShortWaits: cfg.HoldShortWaits,
		IdleTimeout:    cfg.IdleTimeout,
		ConnectTimeout: cfg.ConnectTimeout,
		DrainQuiet:     cfg.DrainQuiet,
		Control:        opts.ApplyListener,
		Logger:         cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Addr returns the address the relay listens on.
func (r *Relay) Addr() net.Addr { return r.srv.Addr() }

// Path returns the data path in use: Config.Path, or PathCopy where the
// kernel cannot splice.
func (r *Relay) Path() Path {
	switch {
	case !r.splice:
		return PathCopy
	case r.auto:
		return PathAuto
	}
	return PathSplice
}

// PipeCapacity returns the bytes one pipe holds: what the kernel granted
// Config.PipeSize, or its default.
func (r *Relay) PipeCapacity() int { return r.loops[0].pipeCap }

// PipeGrowSize returns the capacity a bulk direction's pipe grows to, or
// 0 when pipes do not grow (Config.PipeGrowMax).
func (r *Relay) PipeGrowSize() int { return r.growSize }

// PipeGrowMax returns the bytes of capacity grown pipes may have
// together, the budget Config.PipeGrowMax chose, or 0 when pipes do not
// grow.
func (r *Relay) PipeGrowMax() int {
	if r.growSize == 0 {
		return 0
	}
	return int(r.loops[0].budget.max) * os.Getpagesize()
}

// growPolicy chooses what a bulk direction's pipe grows to and the
// budget of pages grown pipes may hold together, reading
// /proc/sys/fs/pipe-max-size and pipe-user-pages-soft once; a size of 0
// means pipes do not grow. defaultCap is the capacity of a new pipe.
//
// The kernel accounts every pipe's pages, its capacity, to its user
// (fs/pipe.c, account_pipe_buffers), grown or not, and, for a process
// with neither CAP_SYS_RESOURCE nor CAP_SYS_ADMIN
// (pipe_is_unprivileged_user), once the user is over
// fs.pipe-user-pages-soft it makes every new pipe with 2 pages
// (alloc_pipe_info, too_many_pipe_buffers_soft) and refuses to grow one
// (pipe_set_size, EPERM), whichever of the user's processes made them.
// The default budget, a quarter of that limit, keeps what growing adds
// from ever bringing the user near it by itself: 16 MiB, sixteen 1 MiB
// pipes, with the default 16384 pages. A privileged process is exempt
// from the limit (the same pipe_is_unprivileged_user checks) and gets the
// same budget: the kernel would not stop it, so the budget is then what
// bounds the memory grown pipes may pin, one of them per direction
// whose peer does not read. Nor does a privileged relay grow past
// fs.pipe-max-size, which CAP_SYS_RESOURCE would let it.
func (r *Relay) growPolicy(defaultCap int) (size int, pages int64) {
	cfg := &r.cfg
	if cfg.PipeSize > 0 || cfg.PipeGrowMax < 0 {
		return 0, 0
	}
	page := os.Getpagesize()
	maxSize, ok := readSysctl("/proc/sys/fs/pipe-max-size")
	if !ok {
		maxSize = growTarget // the kernel's default
	}
	// pipe-max-size is a power of two pages (the kernel rounds what is
	// written to it, round_pipe_size), so size is one as well.
	size = int(min(growTarget, maxSize))
	if size <= defaultCap {
		return 0, 0
	}
	if defaultCap < min(16*page, size) {
		// A new pipe came with fewer than the kernel's 16 pages: the
		// user is over its soft quota already, and growing would be
		// refused.
		r.log.Warn("relay: new pipes are smaller than the default, the user is over fs.pipe-user-pages-soft; pipes will not grow",
			"pipe", defaultCap)
		return 0, 0
	}
	if cfg.PipeGrowMax > 0 {
		pages = int64(cfg.PipeGrowMax / page)
	} else {
		soft, ok := readSysctl("/proc/sys/fs/pipe-user-pages-soft")
		if !ok || soft == 0 {
			// No limit to stay under, or none known: bound the
			// memory as the kernel's default limit would.
			soft = defaultSoftPages
		}
		pages = soft / 4
	}
	if pages < int64(size/page) {
		return 0, 0 // not one grown pipe fits
	}
	return size, pages
}

// Stats returns the counters summed over every loop. It is safe to call
// from any goroutine.
func (r *Relay) Stats() Stats {
	var s Stats
	for _, ls := range r.loops {
		ls.stats.addTo(&s)
	}
	return s
}

// Done is closed once the relay has stopped, after Shutdown or a fatal
// error (Err).
func (r *Relay) Done() <-chan struct{} { return r.srv.Done() }

// Err returns the error that stopped the relay on its own, or nil.
func (r *Relay) Err() error { return r.srv.Err() }

// Shutdown stops accepting, lets pairs finish until their sides have been
// quiet for Config.DrainQuiet, and have delivered every byte the relay
// holds for them, or ctx is done, closes the rest and
// releases every descriptor, pooled pipes included.
func (r *Relay) Shutdown(ctx context.Context) error {
	err := r.srv.Shutdown(ctx)
	<-r.srv.Done()
	for _, ls := range r.loops {
		ls.release()
	}
	return err
}

// OnOpen pairs a new client with a connection to an upstream, or, for
// the upstream side, starts forwarding. It is netpoll's callback.
func (r *Relay) OnOpen(c *netpoll.Conn) {
	if p, ok := c.Context().(*pair); ok {
		p.connected(c)
		return
	}
	ls := r.loops[c.Loop().Index()]
	ls.stats.accepted.Add(1)
	if n := r.active.Add(1); r.cfg.MaxConns > 0 && n > int64(r.cfg.MaxConns) {
		r.active.Add(-1)
		ls.stats.closed[reasonMaxConns].Add(1)
		_ = c.Close()
		return
	}
	ls.stats.active.Add(1)
	if err := r.cfg.Sockopts.ApplyConn(c.Fd()); err != nil {
		r.log.Debug("relay: client socket options", "err", err)
	}
	c.SetRaw()
	c.PauseReading() // until the upstream is there to take the bytes
	p := &pair{r: r, ls: ls, client: c, up: r.picker.pick()}
	c.SetContext(p)
	uc, err := c.Loop().Connect(p.up.addr, p)
	if err != nil {
		p.connectFailed(err)
		return
	}
	p.upstream = uc
	p.dir[up] = direction{src: c, dst: uc}
	p.dir[down] = direction{src: uc, dst: c}
}

// OnData is never called: both sides of a pair are raw.
func (r *Relay) OnData(c *netpoll.Conn, data []byte) int { return len(data) }

// OnReadable moves bytes from c to its peer.
func (r *Relay) OnReadable(c *netpoll.Conn) {
	if p, ok := c.Context().(*pair); ok {
		p.pump(p.from(c))
		p.syncInFlight()
	}
}

// OnWritable moves held bytes on to c.
func (r *Relay) OnWritable(c *netpoll.Conn) {
	if p, ok := c.Context().(*pair); ok {
		p.pump(p.to(c))
		p.syncInFlight()
	}
}

// OnClose ends c's pair when netpoll closed c itself: a failed connect,
// a timeout or the shutdown drain.
func (r *Relay) OnClose(c *netpoll.Conn, err error) {
	p, ok := c.Context().(*pair)
	if !ok || p.ended {
		return
	}
	if c == p.upstream && !p.open {
		p.connectFailed(err)
		return
	}
	switch {
	case errors.Is(err, netpoll.ErrIdleTimeout):
		p.end(reasonIdle, false)
	case errors.Is(err, netpoll.ErrServerClosed):
		p.end(reasonShutdown, false)
	case err == nil:
		p.end(reasonDone, false)
	default:
		p.fail(c, err)
	}
}
