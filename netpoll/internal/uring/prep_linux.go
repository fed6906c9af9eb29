//go:build linux

package uring

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The Prep functions fill an SQE from Ring.SQE for one operation; the
// caller sets nothing else but may add flags.

// PrepNop prepares a no-op, whose completion carries ud.
func PrepNop(sqe *SQE, ud uint64) {
	sqe.Opcode, sqe.UserData = OpNop, ud
}

// PrepAcceptMultishot prepares a multishot accept on a listening socket
// (IORING_ACCEPT_MULTISHOT, 5.19): one completion per connection, its
// Res the new descriptor, non-blocking and close-on-exec, until a
// completion without CQEFMore ends it. No peer address is asked for:
// every completion would write the same one.
func PrepAcceptMultishot(sqe *SQE, fd int, ud uint64) {
	sqe.Opcode, sqe.Fd, sqe.UserData = OpAccept, int32(fd), ud
	sqe.Ioprio = acceptMultishot
	sqe.OpFlags = unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC
}

// PrepAccept prepares a single accept on a listening socket: one
// completion, its Res the new descriptor (non-blocking, close-on-exec)
// or an error.
func PrepAccept(sqe *SQE, fd int, ud uint64) {
	sqe.Opcode, sqe.Fd, sqe.UserData = OpAccept, int32(fd), ud
	sqe.OpFlags = unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC
}

// PrepRecvMultishot prepares a multishot recv from buffer group group
// (IORING_RECV_MULTISHOT, 6.0): one completion per arrival of data, each
// in a buffer of the group (CQEFBuffer), until the peer's FIN (Res 0),
// an error, or the group running dry (Res -ENOBUFS) ends it. A limit
// other than 0 also ends it once that many bytes have been received
// (sqe->optlen, as liburing's test/recv-mshot-fair.c sets it); a kernel
// without that cap rejects the request with -EINVAL, since the field
// shares its place with file_index, which a recv must leave zero.
func PrepRecvMultishot(sqe *SQE, fd int, group uint16, limit uint32, ud uint64) {
	sqe.Opcode, sqe.Fd, sqe.UserData = OpRecv, int32(fd), ud
	sqe.Ioprio = recvMultishot
	sqe.Flags = sqeFlagBufferSelect
	sqe.BufGroup = group
	sqe.OptLen = limit
}

// PrepSend prepares a send of b with MSG_NOSIGNAL. b must stay valid
// and unchanged until the completion arrives.
func PrepSend(sqe *SQE, fd int, b []byte, ud uint64) {
	sqe.Opcode, sqe.Fd, sqe.UserData = OpSend, int32(fd), ud
	sqe.Addr = uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
	sqe.Len = uint32(len(b))
	sqe.OpFlags = unix.MSG_NOSIGNAL
}

// PrepSendmsg prepares a sendmsg of msg with MSG_NOSIGNAL. msg and every
// buffer it points to must stay valid until the completion arrives.
func PrepSendmsg(sqe *SQE, fd int, msg *unix.Msghdr, ud uint64) {
	sqe.Opcode, sqe.Fd, sqe.UserData = OpSendmsg, int32(fd), ud
	sqe.Addr = uint64(uintptr(unsafe.Pointer(msg)))
	sqe.Len = 1
	sqe.OpFlags = unix.MSG_NOSIGNAL
}

// PrepPollMultishot prepares a multishot poll for POLLIN on fd
// (IORING_POLL_ADD_MULTI, 5.13): a completion each time fd becomes
// readable.
func PrepPollMultishot(sqe *SQE, fd int, ud uint64) {
	sqe.Opcode, sqe.Fd, sqe.UserData = OpPollAdd, int32(fd), ud
	sqe.Len = pollAddMulti
	sqe.OpFlags = unix.POLLIN
}

// PrepPoll prepares a one-shot poll for the events in mask on fd; the
// completion's Res is the mask of events ready.
func PrepPoll(sqe *SQE, fd int, mask uint32, ud uint64) {
	sqe.Opcode, sqe.Fd, sqe.UserData = OpPollAdd, int32(fd), ud
	sqe.OpFlags = mask
}

// PrepTimeout prepares a timeout (IORING_OP_TIMEOUT, 5.4) that completes
// with -ETIME once ts, relative to its submission, has passed, or with
// -ECANCELED if the ring closes first. The kernel copies ts when the
// entry is submitted (io_timeout_prep in io_uring/timeout.c), so ts must
// stay valid until then, not longer.
func PrepTimeout(sqe *SQE, ts *unix.Timespec, ud uint64) {
	sqe.Opcode, sqe.Fd, sqe.UserData = OpTimeout, -1, ud
	sqe.Addr = uint64(uintptr(unsafe.Pointer(ts)))
	sqe.Len = 1
}

// PrepCancelFD prepares the cancellation of every request on fd
// (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL, 5.19). Each
// cancelled request completes with -ECANCELED; the cancellation's own
// completion carries ud and, in Res, how many it found.
func PrepCancelFD(sqe *SQE, fd int, ud uint64) {
	sqe.Opcode, sqe.Fd, sqe.UserData = OpAsyncCancel, int32(fd), ud
	sqe.OpFlags = asyncCancelFD | asyncCancelAll
}

// PrepCancel prepares the cancellation of the request whose user data is
// target.
func PrepCancel(sqe *SQE, target, ud uint64) {
	sqe.Opcode, sqe.Fd, sqe.UserData = OpAsyncCancel, -1, ud
	sqe.Addr = target
}
