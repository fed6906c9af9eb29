package scale

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rawnet/rawnet/bench"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/proc"
)

// ClientArgs are the arguments Run gives its own executable to start a
// client process: the executable must then call Client with
// its standard input and output, as echo-bench does.
var ClientArgs = []string{"scale", "client"}

// The line protocol between Run and a client process. The parent
// writes the share as one JSON line; the client answers msgHeld once its
// idle connections are open, and the parent, once every client has,
// writes msgGo. Around its measurement a client with active connections
// writes msgWindowStart and msgWindowEnd and waits for msgSampled, which
// the parent writes once every such client has reached that point and it
// has sampled the servers. Then the parent writes msgRelease, and each
// client closes its connections and writes msgResult and its
// ClientResult as JSON. A client that fails writes msgResult at
// once; a client whose standard input closes stops.
const (
	msgHeld        = "held"
	msgGo          = "go"
	msgWindowStart = "window start"
	msgWindowEnd   = "window end"
	msgSampled     = "sampled"
	msgRelease     = "release"
	msgResult      = "result "
)

// share is one client process's part of the scale phase.
type share struct {
	// Addr is the servers' address.
	Addr string
	// Idle and Active are its connections of each kind; Rate is the
	// active ones' messages per second in all.
	Idle, Active int
	Rate         float64
	// Size, Duration, Warmup and ConnectRate are as in Config;
	// Workers is the number of client threads.
	Size, Workers    int
	Duration, Warmup time.Duration
	ConnectRate      float64
	IdleTimeout      time.Duration
	// IdleBlock and ActiveBlock are the third bytes of the 127.0.x.y
	// source addresses of each kind of connection.
	IdleBlock, ActiveBlock byte
}

// activeConfig is the load that drives the share's active connections,
// with window called around the measurement.
func (sh *share) activeConfig(window func(end bool)) bench.Config {
	return bench.Config{
		Addr: sh.Addr, Conns: sh.Active, Rate: sh.Rate, Sizes: bench.Sizes{Values: []int{sh.Size}},
		Duration: sh.Duration, Warmup: sh.Warmup, Workers: sh.Workers, ConnectRate: sh.ConnectRate,
		Sources: loopbackSources(sh.ActiveBlock, sh.Active),
		Window:  window,
	}
}

// ClientResult is what one client process measured.
type ClientResult struct {
	// Idle and Traffic are as in Result, for this process's share.
	Idle    *bench.Result `json:"idle,omitempty"`
	Traffic *bench.Result `json:"traffic,omitempty"`
	// IdleHist and TrafficHist are Idle's and Traffic's latency
	// histograms in HdrHistogram's compressed encoding (JSON leaves
	// bench.Result's histogram out), so that the parent merges the
	// processes' percentiles exactly.
	IdleHist    string `json:"idle_hist,omitempty"`
	TrafficHist string `json:"traffic_hist,omitempty"`
	// Error says what went wrong; empty when the share passed.
	Error string `json:"error,omitempty"`
}

// Client runs one client process of a scale phase split over
// several processes, speaking the line protocol above on in and out. It
// returns an error only when the protocol breaks; failed connections are
// reported in the result. It stops when in closes; the goroutine reading
// in lives until then.
func Client(ctx context.Context, in io.Reader, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines := make(chan string, 8)
	go func() {
		defer cancel()
		defer close(lines)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	c := &client{lines: lines, out: out}
	first, err := c.next()
	if err != nil {
		return err
	}
	var sh share
	if err := json.Unmarshal([]byte(first), &sh); err != nil {
		return fmt.Errorf("scale: client: share: %w", err)
	}
	res := c.run(ctx, &sh)
	if err := res.encodeHists(); err != nil {
		return err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return c.say(msgResult + string(b))
}

// client is the client side of the line protocol.
type client struct {
	lines <-chan string
	out   io.Writer
	// err is the first write error; a client that cannot talk to its
	// parent stops.
	err error
}

// next returns the parent's next line.
func (c *client) next() (string, error) {
	l, ok := <-c.lines
	if !ok {
		return "", errors.New("scale: client: standard input closed")
	}
	return l, nil
}

// expect waits for the parent's next line and checks it is want.
func (c *client) expect(want string) error {
	l, err := c.next()
	if err == nil && l != want {
		err = fmt.Errorf("scale: client: parent wrote %q, want %q", l, want)
	}
	return err
}

// say writes one line to the parent.
func (c *client) say(line string) error {
	if c.err == nil {
		_, c.err = io.WriteString(c.out, line+"\n")
	}
	return c.err
}

// run opens the share's idle connections and holds them while its active
// connections send, in step with the parent, and returns what it
// measured.
func (c *client) run(ctx context.Context, sh *share) *ClientResult {
	res := &ClientResult{}
	fail := func(err error) *ClientResult {
		res.Error = err.Error()
		return res
	}
	want := uint64(sh.Idle+sh.Active) + spareFDs
	got, err := proc.RaiseNoFile(want)
	if err != nil {
		return fail(err)
	}
	if got < want {
		return fail(fmt.Errorf("open file limit %d is too low for %d connections", got, sh.Idle+sh.Active))
	}
	idle := startIdle(ctx, sh)
	if err := idle.wait(); err != nil {
		res.Idle = idle.res
		return fail(err)
	}
	defer func() {
		idle.stop()
		res.Idle = idle.res
		if idle.err != nil && res.Error == "" {
			res.Error = fmt.Sprintf("idle connections: %v", idle.err)
		}
	}()
	if err := c.say(msgHeld); err != nil {
		return fail(err)
	}
	if err := c.expect(msgGo); err != nil {
		return fail(err)
	}
	if sh.Active > 0 {
		var windowErr error
		tr, err := bench.Run(ctx, sh.activeConfig(func(end bool) {
			msg := msgWindowStart
			if end {
				msg = msgWindowEnd
			}
			if err := c.say(msg); err != nil {
				windowErr = errors.Join(windowErr, err)
				return
			}
			windowErr = errors.Join(windowErr, c.expect(msgSampled))
		}))
		res.Traffic = tr
		if err = errors.Join(err, windowErr); err != nil {
			return fail(fmt.Errorf("active connections: %w", err))
		}
	}
	if err := c.expect(msgRelease); err != nil {
		return fail(err)
	}
	return res
}

// idleConns is a share's idle connections, open and held by bench.Run
// in a goroutine of their own.
type idleConns struct {
	held, release, done chan struct{}
	res                 *bench.Result
	err                 error
}

// startIdle opens sh's idle connections, each echoing once.
func startIdle(ctx context.Context, sh *share) *idleConns {
	ic := &idleConns{held: make(chan struct{}), release: make(chan struct{}), done: make(chan struct{})}
	if sh.Idle == 0 {
		close(ic.held)
		close(ic.done)
		return ic
	}
	go func() {
		defer close(ic.done)
		ic.res, ic.err = bench.Run(ctx, bench.Config{
			Addr: sh.Addr, Conns: sh.Idle, Count: 1, Sizes: bench.Sizes{Values: []int{sh.Size}},
			Workers: sh.Workers, ConnectRate: sh.ConnectRate, Timeout: sh.IdleTimeout,
			Sources: loopbackSources(sh.IdleBlock, sh.Idle),
			Hold: func(ctx context.Context) error {
				close(ic.held)
				select {
				case <-ic.release:
				case <-ctx.Done():
				}
				return nil
			},
		})
	}()
	return ic
}

// wait returns once every idle connection is open and has echoed, or
// with an error if they closed first.
func (ic *idleConns) wait() error {
	select {
	case <-ic.held:
		return nil
	case <-ic.done:
		if ic.err == nil {
			return errors.New("idle connections closed before the traffic began")
		}
		return fmt.Errorf("idle connections: %w", ic.err)
	}
}

// stop closes the idle connections and waits for their run to end.
func (ic *idleConns) stop() {
	select {
	case <-ic.release:
	default:
		close(ic.release)
	}
	<-ic.done
}
