//go:build linux

package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Set-up flags (io_uring_setup(2)).
const (
	setupCQSize = 1 << 3 // IORING_SETUP_CQSIZE: params.cq_entries is valid
	setupClamp  = 1 << 4 // IORING_SETUP_CLAMP: clamp entries to the maximum
	// setupRDisabled (IORING_SETUP_R_DISABLED, 5.10) creates the ring
	// disabled until IORING_REGISTER_ENABLE_RINGS; with SINGLE_ISSUER
	// the enabling task becomes the issuer.
	setupRDisabled = 1 << 6
	// setupCoopTaskrun (IORING_SETUP_COOP_TASKRUN, 5.19) stops the kernel
	// interrupting the task with an IPI to run completion work: it runs
	// when the task next enters the kernel.
	setupCoopTaskrun = 1 << 8
	// setupSingleIssuer (IORING_SETUP_SINGLE_ISSUER, 6.0) promises that
	// one task submits, which lets the kernel skip locking.
	setupSingleIssuer = 1 << 12
	// setupDeferTaskrun (IORING_SETUP_DEFER_TASKRUN, 6.1) defers
	// completion work until io_uring_enter with IORING_ENTER_GETEVENTS,
	// so completions are posted in batches, on the loop's own time. It
	// requires SINGLE_ISSUER.
	setupDeferTaskrun = 1 << 13
)

// Feature flags returned in params.features.
const (
	featSingleMmap = 1 << 0 // IORING_FEAT_SINGLE_MMAP: one mapping for SQ and CQ rings
	featNoDrop     = 1 << 1 // IORING_FEAT_NODROP: overflowed completions are kept
	featFastPoll   = 1 << 5 // IORING_FEAT_FAST_POLL: socket ops poll internally instead of a worker thread
	featExtArg     = 1 << 8 // IORING_FEAT_EXT_ARG: io_uring_enter takes a timeout
	// featMinTimeout (IORING_FEAT_MIN_TIMEOUT, 6.12) says
	// io_uring_getevents_arg.min_wait_usec is honoured.
	featMinTimeout = 1 << 15
)

// io_uring_enter(2) flags.
const (
	enterGetEvents = 1 << 0 // IORING_ENTER_GETEVENTS
	enterExtArg    = 1 << 3 // IORING_ENTER_EXT_ARG
)

// mmap offsets (IORING_OFF_*).
const (
	offSQRing = 0
	offCQRing = 0x8000000
	offSQEs   = 0x10000000
)

// io_uring_register(2) opcodes.
const (
	registerProbe         = 8  // IORING_REGISTER_PROBE
	registerEnableRings   = 12 // IORING_REGISTER_ENABLE_RINGS
	registerPbufRing      = 22 // IORING_REGISTER_PBUF_RING (5.19)
	unregisterPbufRing    = 23 // IORING_UNREGISTER_PBUF_RING
	probeOpSupported      = 1  // IO_URING_OP_SUPPORTED
	sqeFlagBufferSelect   = 1 << 5
	cqeBufferShift        = 16 // IORING_CQE_BUFFER_SHIFT
	recvMultishot         = 1 << 1
	acceptMultishot       = 1 << 0
	pollAddMulti          = 1 << 0
	asyncCancelAll        = 1 << 0
	asyncCancelFD         = 1 << 1
	sqNeedWakeupOrOverflw = 1<<0 | 1<<1
	// sqCQOverflow (IORING_SQ_CQ_OVERFLOW, in the SQ ring's flags) says
	// completions wait in the kernel's overflow list for room in the
	// completion queue.
	sqCQOverflow = 1 << 1
)

// Opcodes (enum io_uring_op).
const (
	OpNop         = 0
	OpPollAdd     = 6
	OpSendmsg     = 9
	OpTimeout     = 11
	OpAccept      = 13
	OpAsyncCancel = 14
	OpSend        = 26
	OpRecv        = 27
	opLast        = 64
)

// CQE flags.
const (
	// CQEFBuffer says the upper 16 bits of Flags are a provided buffer's
	// ID (IORING_CQE_F_BUFFER).
	CQEFBuffer = 1 << 0
	// CQEFMore says the request stays armed and will post more
	// completions (IORING_CQE_F_MORE); its absence ends a multishot
	// request.
	CQEFMore = 1 << 1
)

// sqringOffsets is struct io_sqring_offsets.
type sqringOffsets struct {
	head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
	userAddr                                                        uint64
}

// cqringOffsets is struct io_cqring_offsets.
type cqringOffsets struct {
	head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
	userAddr                                                        uint64
}

// params is struct io_uring_params.
type params struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFD uint32
	resv                                                                   [3]uint32
	sqOff                                                                  sqringOffsets
	cqOff                                                                  cqringOffsets
}

// SQE is struct io_uring_sqe, 64 bytes, with the unions reduced to the
// fields this package fills.
type SQE struct {
	Opcode   uint8
	Flags    uint8
	Ioprio   uint16
	Fd       int32
	Off      uint64 // off / addr2
	Addr     uint64 // addr
	Len      uint32
	OpFlags  uint32 // msg_flags, accept_flags, poll32_events, cancel_flags...
	UserData uint64
	BufGroup uint16 // buf_index / buf_group
	_        uint16 // personality
	OptLen   uint32 // splice_fd_in / file_index / optlen
	_        [2]uint64
}

// CQE is struct io_uring_cqe.
type CQE struct {
	UserData uint64
	Res      int32
	Flags    uint32
}

// BufferID returns the provided buffer the completion used; it is
// meaningful only when Flags has CQEFBuffer.
func (c *CQE) BufferID() uint16 { return uint16(c.Flags >> cqeBufferShift) }

// getEventsArg is struct io_uring_getevents_arg (IORING_ENTER_EXT_ARG).
type getEventsArg struct {
	sigmask     uint64
	sigmaskSz   uint32
	minWaitUsec uint32
	ts          uint64
}

// probeHeader is struct io_uring_probe without its flexible array; each
// of the ops that follow is struct io_uring_probe_op, 8 bytes.
type probeHeader struct {
	lastOp uint8
	opsLen uint8
	resv   uint16
	resv2  [3]uint32
}

type probeOp struct {
	op    uint8
	resv  uint8
	flags uint16
	resv2 uint32
}

// bufReg is struct io_uring_buf_reg.
type bufReg struct {
	ringAddr    uint64
	ringEntries uint32
	bgid        uint16
	flags       uint16
	minLeft     uint32
	resv        [5]uint32
}

// The struct sizes the kernel expects; a wrong layout fails to compile.
var (
	_ [64 - unsafe.Sizeof(SQE{})]struct{}
	_ [unsafe.Sizeof(SQE{}) - 64]struct{}
	_ [120 - unsafe.Sizeof(params{})]struct{}
	_ [unsafe.Sizeof(params{}) - 120]struct{}
	_ [40 - unsafe.Sizeof(bufReg{})]struct{}
	_ [unsafe.Sizeof(bufReg{}) - 40]struct{}
)

func setup(entries uint32, p *params) (int, unix.Errno) {
	r, _, e := unix.RawSyscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(p)), 0)
	if e != 0 {
		return -1, e
	}
	return int(r), 0
}

func register(fd int, op uintptr, arg unsafe.Pointer, n uintptr) unix.Errno {
	_, _, e := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(fd), op, uintptr(arg), n, 0, 0)
	return e
}
