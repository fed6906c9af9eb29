//go:build linux

package pool

import (
	"sync"
	"time"

	"github.com/rawnet/rawnet/engine/internal/budget"
	"github.com/rawnet/rawnet/engine/work"
	"github.com/rawnet/rawnet/netpoll"
)

// conn is the engine's state for one TCP connection, its netpoll context.
// Only the connection's loop touches it.
type conn struct {
	c      *netpoll.Conn
	opened time.Duration // since the server's epoch
	// task is the connection's batch of frames while it is queued, in
	// the loop's backlog or with a worker; nil otherwise. A connection
	// has at most one, and is not read while it has one, so its frames
	// come back in order and its peer's FIN is not read before the
	// echo of what came before it is written.
	task *tcpTask
	// ferr is a bad frame found behind the frames of task: the
	// connection is closed with it once they are echoed.
	ferr  error
	holds uint8 // why reading is paused: holdTask, holdBudget
	// Input budget for a large frame in progress (budget_linux.go):
	// wait is the queued request, nil once granted; held says the
	// reservation is this connection's.
	wait     *budget.Wait
	held     bool
	closed   bool // OnClose has run
	badFrame bool // closed for a bad frame
}

// Reasons a connection is not read.
const (
	holdTask   uint8 = 1 << iota // a batch of its frames is in flight
	holdBudget                   // it waits for input budget
)

// hold stops reading c for reason why, on top of any other.
func (cn *conn) hold(why uint8) {
	if cn.holds == 0 {
		cn.c.PauseReading()
	}
	cn.holds |= why
}

// unhold lifts reason why and reads c again once nothing else holds it.
// Input that arrived meanwhile is read on the loop's next round; a
// partial frame the loop kept is handed in again with the next bytes,
// which are what it waits for.
func (cn *conn) unhold(why uint8) {
	if cn.holds&why == 0 {
		return
	}
	cn.holds &^= why
	if cn.holds == 0 {
		cn.c.ResumeReading()
	}
}

// tcpTask is a batch of a connection's complete frames, copied out of
// the loop's buffers, on its way to a worker and back.
type tcpTask struct {
	cn     *conn
	h      *tcpHandler
	buf    []byte // the frames back to back; cap is the buffer's size
	frames int
	// reply is h.reply(t), made once per task object so that handing a
	// task back to its loop allocates nothing.
	reply func()
}

// tcpTasks recycles tasks with their buffers.
var tcpTasks pools[tcpTask]

// newTask returns a task holding a copy of frames, n of them, for cn.
func (h *tcpHandler) newTask(cn *conn, frames []byte, n int) *tcpTask {
	t := tcpTasks.get(len(frames), func(size int) *tcpTask {
		t := &tcpTask{buf: make([]byte, 0, size)}
		t.reply = func() { t.h.reply(t) }
		return t
	})
	t.cn, t.h, t.frames = cn, h, n
	t.buf = append(t.buf[:0], frames...)
	return t
}

// release recycles t.
func (t *tcpTask) release() {
	t.cn, t.h = nil, nil
	tcpTasks.put(t, cap(t.buf))
}

// run applies the work to the batch on a worker and hands the batch back
// to the connection's loop to be written: through out, with the replies
// of other jobs, when the worker holds replies back (workers, "Replies"),
// else at once. If the loop has stopped, the connection is closed and
// the batch is dropped.
func (t *tcpTask) run(r *work.Runner, out outbox) {
	r.Frames(t.frames)
	if o, ok := out.(*tcpOutbox); ok {
		o.add(t)
		return
	}
	s := t.h.s
	s.replySubmits.Add(1)
	if err := t.cn.c.Loop().Submit(t.reply); err != nil {
		t.drop()
	}
}

// tcpOutbox is a worker's outbox of TCP replies, kept by loop so that
// one Submit hands a loop every reply held for it.
type tcpOutbox struct {
	s      *server
	byLoop [][]*tcpTask // indexed by Loop.Index
	n      int
}

// newOutbox returns an empty outbox for a worker of s.
func (s *server) newOutbox() outbox {
	return &tcpOutbox{s: s, byLoop: make([][]*tcpTask, len(s.loops))}
}

// held returns how many replies o holds.
func (o *tcpOutbox) held() int { return o.n }

// add holds t's reply for its loop.
func (o *tcpOutbox) add(t *tcpTask) {
	i := t.cn.c.Loop().Index()
	o.byLoop[i] = append(o.byLoop[i], t)
	o.n++
}

// flush hands each loop the replies held for it with one Submit. A
// connection has one batch in flight at most, so the order of replies
// within a batch, or between workers, cannot reorder any connection's
// frames.
func (o *tcpOutbox) flush() {
	for i, ts := range o.byLoop {
		if len(ts) == 0 {
			continue
		}
		b := replyBatches.Get().(*replyBatch)
		b.tasks = append(b.tasks[:0], ts...)
		clear(ts)
		o.byLoop[i] = ts[:0]
		// The loop is read before Submit: once it runs the batch, the
		// tasks are recycled.
		l := b.tasks[0].cn.c.Loop()
		o.s.replySubmits.Add(1)
		if err := l.Submit(b.run); err != nil {
			for _, t := range b.tasks {
				t.drop()
			}
			b.release()
		}
	}
	o.n = 0
}

// replyBatch is the replies of one flush for one loop, run there by the
// Submit that carries them.
type replyBatch struct {
	tasks []*tcpTask
	// run writes every reply, made once per batch object so that a
	// Submit allocates nothing.
	run func()
}

// replyBatches recycles reply batches; its New is set in init, since a
// batch's run recycles the batch through it.
var replyBatches sync.Pool

func init() {
	replyBatches.New = func() any {
		b := &replyBatch{}
		b.run = b.writeAll
		return b
	}
}

// writeAll writes every reply of b on their loop, then recycles b.
func (b *replyBatch) writeAll() {
	for _, t := range b.tasks {
		t.h.reply(t)
	}
	b.release()
}

// release empties b and recycles it.
func (b *replyBatch) release() {
	clear(b.tasks)
	b.tasks = b.tasks[:0]
	replyBatches.Put(b)
}

// drop gives up t, counting its frames as not echoed. The connection's
// loop has stopped or the connection has closed, so nothing else will
// touch t.
func (t *tcpTask) drop() {
	t.h.s.loops[t.cn.c.Loop().Index()].Unechoed.Add(uint64(t.frames))
	t.release()
}
