//go:build linux

package uring

import (
	"errors"
	"os"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Ring is one io_uring instance with its submission and completion
// queues mapped into the process.
type Ring struct {
	fd       int
	flags    uint32 // set-up flags the kernel accepted
	features uint32

	sqMem, cqMem, sqeMem []byte
	singleMmap           bool // cqMem is sqMem

	sqHead, sqTail *uint32 // the kernel's head, our published tail
	sqFlags        *uint32
	sqMask         uint32
	sqEntries      uint32
	sqes           []SQE
	sqeTail        uint32 // next SQE to hand out; published by Submit

	cqHead, cqTail *uint32
	cqMask         uint32
	cqes           []CQE
}

// Options tune New.
type Options struct {
	// Entries is the submission queue size, rounded up to a power of
	// two by the kernel.
	Entries uint32
	// CQEntries is the completion queue size; 0 means twice Entries.
	CQEntries uint32
}

// New sets up a ring for one issuer: IORING_SETUP_SINGLE_ISSUER |
// IORING_SETUP_DEFER_TASKRUN, or SINGLE_ISSUER | COOP_TASKRUN on kernels
// that reject DEFER_TASKRUN (before 6.1), or COOP_TASKRUN alone before
// 6.0. With SINGLE_ISSUER only one task (an OS thread, in the kernel's
// sense) may submit, and with DEFER_TASKRUN completion work runs only in
// that task's io_uring_enter (io_uring_setup(2)); another thread's
// io_uring_enter fails with EEXIST. So the ring is created disabled
// (IORING_SETUP_R_DISABLED) and the issuer is the thread that calls
// Enable: a Go caller enables and uses it from a goroutine locked to
// its OS thread. Registrations (buffer rings) may be made before Enable
// from any thread.
func New(o Options) (*Ring, error) {
	tries := []uint32{setupSingleIssuer | setupDeferTaskrun, setupSingleIssuer | setupCoopTaskrun, setupCoopTaskrun, 0}
	var p params
	var fd int
	var errno unix.Errno
	for _, f := range tries {
		p = params{flags: f | setupClamp | setupRDisabled}
		if o.CQEntries > 0 {
			p.flags |= setupCQSize
			p.cqEntries = o.CQEntries
		}
		fd, errno = setup(o.Entries, &p)
		// EINVAL is what a kernel answers for set-up flags it does not
		// know (io_uring_setup(2), ERRORS); try the next weaker set.
		if errno != unix.EINVAL {
			break
		}
	}
	if errno != 0 {
		return nil, os.NewSyscallError("io_uring_setup", errno)
	}
	r := &Ring{fd: fd, flags: p.flags, features: p.features}
	if err := r.mmap(&p); err != nil {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

// mmap maps the rings and the SQE array as io_uring_setup(2) describes.
func (r *Ring) mmap(p *params) error {
	sqSize := int(p.sqOff.array + p.sqEntries*4)
	cqSize := int(p.cqOff.cqes + p.cqEntries*uint32(unsafe.Sizeof(CQE{})))
	single := p.features&featSingleMmap != 0
	r.singleMmap = single
	if single {
		// One mapping serves both rings (IORING_FEAT_SINGLE_MMAP, 5.4).
		sqSize = max(sqSize, cqSize)
	}
	var err error
	prot, flags := unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE
	if r.sqMem, err = unix.Mmap(r.fd, offSQRing, sqSize, prot, flags); err != nil {
		return os.NewSyscallError("mmap", err)
	}
	r.cqMem = r.sqMem
	if !single {
		if r.cqMem, err = unix.Mmap(r.fd, offCQRing, cqSize, prot, flags); err != nil {
			r.cqMem = nil
			return os.NewSyscallError("mmap", err)
		}
	}
	sqeSize := int(p.sqEntries) * int(unsafe.Sizeof(SQE{}))
	if r.sqeMem, err = unix.Mmap(r.fd, offSQEs, sqeSize, prot, flags); err != nil {
		return os.NewSyscallError("mmap", err)
	}
	sq, cq := unsafe.Pointer(&r.sqMem[0]), unsafe.Pointer(&r.cqMem[0])
	r.sqHead = (*uint32)(unsafe.Add(sq, p.sqOff.head))
	r.sqTail = (*uint32)(unsafe.Add(sq, p.sqOff.tail))
	r.sqFlags = (*uint32)(unsafe.Add(sq, p.sqOff.flags))
	r.sqMask = *(*uint32)(unsafe.Add(sq, p.sqOff.ringMask))
	r.sqEntries = p.sqEntries
	// The indirection array maps ring slots to SQE indexes; an identity
	// map set once makes the ring slot the SQE index, as liburing does.
	array := unsafe.Slice((*uint32)(unsafe.Add(sq, p.sqOff.array)), p.sqEntries)
	for i := range array {
		array[i] = uint32(i)
	}
	r.sqes = unsafe.Slice((*SQE)(unsafe.Pointer(&r.sqeMem[0])), p.sqEntries)
	r.sqeTail = atomic.LoadUint32(r.sqTail)
	r.cqHead = (*uint32)(unsafe.Add(cq, p.cqOff.head))
	r.cqTail = (*uint32)(unsafe.Add(cq, p.cqOff.tail))
	r.cqMask = *(*uint32)(unsafe.Add(cq, p.cqOff.ringMask))
	r.cqes = unsafe.Slice((*CQE)(unsafe.Add(cq, p.cqOff.cqes)), p.cqEntries)
	return nil
}

// Enable starts the ring (IORING_REGISTER_ENABLE_RINGS) and makes the
// calling thread its single issuer.
func (r *Ring) Enable() error {
	if errno := register(r.fd, registerEnableRings, nil, 0); errno != 0 {
		return os.NewSyscallError("io_uring_register", errno)
	}
	return nil
}

// Fd returns the ring's descriptor.
func (r *Ring) Fd() int { return r.fd }

// DeferTaskrun reports whether the ring was set up with
// IORING_SETUP_DEFER_TASKRUN.
func (r *Ring) DeferTaskrun() bool { return r.flags&setupDeferTaskrun != 0 }

// SingleIssuer reports whether the ring was set up with
// IORING_SETUP_SINGLE_ISSUER.
func (r *Ring) SingleIssuer() bool { return r.flags&setupSingleIssuer != 0 }

// CQEntries returns the completion queue's size.
func (r *Ring) CQEntries() int { return len(r.cqes) }

// Close unmaps the ring and closes its descriptor; requests still in
// flight are cancelled by the kernel.
func (r *Ring) Close() error {
	var errs []error
	if r.sqeMem != nil {
		errs = append(errs, unix.Munmap(r.sqeMem))
	}
	if r.cqMem != nil && !r.singleMmap {
		errs = append(errs, unix.Munmap(r.cqMem))
	}
	if r.sqMem != nil {
		errs = append(errs, unix.Munmap(r.sqMem))
	}
	r.sqeMem, r.cqMem, r.sqMem = nil, nil, nil
	if r.fd >= 0 {
		errs = append(errs, unix.Close(r.fd))
		r.fd = -1
	}
	return errors.Join(errs...)
}

// SQE returns the next free submission entry, zeroed, or nil when the
// queue is full: Submit, then ask again. The entry is handed to the
// kernel by the next Submit or Enter.
func (r *Ring) SQE() *SQE {
	if r.sqeTail-atomic.LoadUint32(r.sqHead) >= r.sqEntries {
		return nil
	}
	sqe := &r.sqes[r.sqeTail&r.sqMask]
	*sqe = SQE{}
	r.sqeTail++
	return sqe
}

// Pending returns the entries prepared but not yet consumed by the
// kernel.
func (r *Ring) Pending() uint32 {
	return r.sqeTail - atomic.LoadUint32(r.sqHead)
}

// Submit hands the prepared entries to the kernel without waiting, and
// runs completion work pending for the ring so that their completions,
// and any others ready, can be reaped.
func (r *Ring) Submit() error {
	return r.Enter(0, -1)
}

// MinWait reports whether EnterMin can batch completions: the kernel
// honours a minimum wait (IORING_FEAT_MIN_TIMEOUT, 6.12) and the ring
// defers completion work (DEFER_TASKRUN). Without DEFER_TASKRUN the
// kernel's switch from the minimum wait to waiting for one completion
// (io_cqring_min_timer_wakeup in io_uring/io_uring.c, 6.12) resets only
// the deferred wake-up count, so the rest of the wait would keep waiting
// for the whole batch.
func (r *Ring) MinWait() bool {
	return r.features&featMinTimeout != 0 && r.DeferTaskrun()
}

// Enter submits the prepared entries and, when wait > 0, waits until at
// least wait completions are ready or timeout passes (timeout < 0: no
// limit); it always asks for completion work to run, which a ring set up
// with DEFER_TASKRUN does only then. EINTR and ETIME, the end of the
// timeout, are not errors: the caller reaps what there is.
func (r *Ring) Enter(wait uint32, timeout time.Duration) error {
	return r.EnterMin(wait, 0, timeout)
}

// noLimit stands for no timeout when a minimum wait needs one: with no
// timeout at all the kernel ends the whole wait when the minimum wait
// does, completions or not (io_cqring_min_timer_wakeup: "no general
// timeout ... we are done"). It is far from the largest timespec, which
// the kernel would add to the current time and overflow.
const noLimit = time.Hour

// EnterMin is Enter that, when minWait > 0 and MinWait reports true,
// waits for wait completions for at most minWait: once minWait has
// passed it returns as soon as there is one completion, however many
// wait asked for (io_uring_enter(2), IORING_ENTER_EXT_ARG,
// min_wait_usec). It is how a loop collects several completions per
// call when many are coming, at a bounded cost in latency. Without
// MinWait, minWait is ignored and at most one completion is waited for,
// so that a batch can never hold a lone completion back.
func (r *Ring) EnterMin(wait uint32, minWait, timeout time.Duration) error {
	atomic.StoreUint32(r.sqTail, r.sqeTail)
	submit := r.sqeTail - atomic.LoadUint32(r.sqHead)
	flags := uintptr(enterGetEvents)
	if minWait > 0 && !r.MinWait() {
		minWait, wait = 0, min(wait, 1)
	}
	var errno unix.Errno
	if wait == 0 {
		// Cannot block: the raw call skips the runtime's system-call
		// bookkeeping, as netpoll's non-blocking socket calls do.
		_, _, errno = unix.RawSyscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(submit), 0, flags, 0, 0)
	} else if timeout < 0 && minWait <= 0 {
		_, _, errno = unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(submit), uintptr(wait), flags, 0, 0)
	} else {
		if timeout < 0 {
			timeout = noLimit
		}
		ts := unix.NsecToTimespec(int64(timeout))
		arg := getEventsArg{ts: uint64(uintptr(unsafe.Pointer(&ts)))}
		if minWait > 0 {
			arg.minWaitUsec = uint32(max(minWait/time.Microsecond, 1))
		}
		_, _, errno = unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(submit), uintptr(wait),
			flags|enterExtArg, uintptr(unsafe.Pointer(&arg)), unsafe.Sizeof(arg))
	}
	switch errno {
	case 0, unix.EINTR, unix.ETIME:
		return nil
	case unix.EAGAIN, unix.EBUSY:
		// The kernel could not take more now, usually because the
		// completion queue is overflowing (io_uring_enter(2), ERRORS):
		// reaping makes room, and what was not submitted stays queued.
		return nil
	}
	return os.NewSyscallError("io_uring_enter", errno)
}

// Quiet reports whether the kernel can neither have filled a provided
// buffer whose completion the caller has not reaped nor fill one before
// the caller next enters the ring. That takes a ring that defers
// completion work (DEFER_TASKRUN), which then runs only inside the
// issuer's io_uring_enter (io_uring_setup(2)): a socket recv is driven
// by the kernel's internal poll (IORING_FEAT_FAST_POLL, 5.7), whose
// wake-ups queue that work rather than copying data, so the copy into a
// provided buffer happens there too. And it takes no completion waiting
// in the completion queue or in the kernel's overflow list. Only the
// issuer may ask, between its calls to Enter.
func (r *Ring) Quiet() bool {
	if !r.DeferTaskrun() {
		return false
	}
	head, tail := r.Peek()
	return head == tail && atomic.LoadUint32(r.sqFlags)&sqCQOverflow == 0
}

// Peek returns the completions ready now, oldest first, without
// consuming them; Advance(len) consumes them. The slice aliases the
// ring and is valid until Advance.
func (r *Ring) Peek() (head, tail uint32) {
	return atomic.LoadUint32(r.cqHead), atomic.LoadUint32(r.cqTail)
}

// CQE returns the completion at position i, head <= i < tail of a Peek.
func (r *Ring) CQE(i uint32) *CQE { return &r.cqes[i&r.cqMask] }

// Advance marks the completions before head consumed, freeing their
// slots for the kernel.
func (r *Ring) Advance(head uint32) { atomic.StoreUint32(r.cqHead, head) }
