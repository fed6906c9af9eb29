//go:build linux

package uring

import (
	"errors"
	"os"
	"slices"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// BufRing is a provided buffer ring (IORING_REGISTER_PBUF_RING, 5.19): a
// group of equal buffers the kernel picks from when a receive completes,
// so that a connection waiting for input pins no buffer. Both the ring
// and the buffers are anonymous mappings, outside the Go heap, so the
// kernel may write them at any time without the garbage collector's
// knowledge.
//
// Not every buffer is handed to the kernel. The kernel takes buffers in
// ring order, so a ring holding all of them would cycle through every
// one, and every buffer's first page would become resident even when a
// few buffers at a time would do. Instead the ring lends the kernel at
// most Lent buffers; those given back wait on a stack, most recent on
// top, and Publish lends from the top, so the same few buffers, whose
// pages are resident already, go round while the load allows. Grow
// lends more when the kernel ran short (a recv ended with -ENOBUFS).
type BufRing struct {
	ring    []byte // entries × struct io_uring_buf
	bufs    []byte // entries × size
	size    int
	mask    uint16
	entries uint16
	tail    uint16 // local tail; published by Publish
	group   uint16
	ringFd  int

	free   []uint16 // buffers given back and not lent, most recent last
	lent   int      // buffers the kernel holds or has filled and not given back
	target int      // how many buffers Publish keeps lent
}

// bufSize is sizeof(struct io_uring_buf): addr u64, len u32, bid u16,
// resv u16.
const bufSize = 16

// NewBufRing registers a ring of entries buffers of size bytes each as
// buffer group group of r, and lends the kernel lend of them (at least
// one, at most entries). entries must be a power of two of at most 32768
// (io_uring_register(2), IORING_REGISTER_PBUF_RING).
func NewBufRing(r *Ring, group uint16, entries, lend, size int) (*BufRing, error) {
	if entries <= 0 || entries > 1<<15 || entries&(entries-1) != 0 {
		return nil, errors.New("uring: buffer ring entries must be a power of two up to 32768")
	}
	b := &BufRing{
		size: size, mask: uint16(entries - 1), entries: uint16(entries), group: group, ringFd: r.fd,
		free: make([]uint16, 0, entries), target: min(max(lend, 1), entries),
	}
	var err error
	prot, flags := unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANONYMOUS|unix.MAP_PRIVATE
	// The ring must be page aligned, which an mmap is.
	if b.ring, err = unix.Mmap(-1, 0, entries*bufSize, prot, flags); err != nil {
		return nil, os.NewSyscallError("mmap", err)
	}
	if b.bufs, err = unix.Mmap(-1, 0, entries*size, prot, flags); err != nil {
		_ = unix.Munmap(b.ring)
		return nil, os.NewSyscallError("mmap", err)
	}
	reg := bufReg{ringAddr: uint64(uintptr(unsafe.Pointer(&b.ring[0]))), ringEntries: uint32(entries), bgid: group}
	if errno := register(r.fd, registerPbufRing, unsafe.Pointer(&reg), 1); errno != 0 {
		_ = unix.Munmap(b.ring)
		_ = unix.Munmap(b.bufs)
		return nil, os.NewSyscallError("io_uring_register", errno)
	}
	// Buffer 0 ends on top of the stack and is lent first.
	for i := entries - 1; i >= 0; i-- {
		b.free = append(b.free, uint16(i))
	}
	b.Publish()
	return b, nil
}

// Group returns the buffer group ID to select buffers from.
func (b *BufRing) Group() uint16 { return b.group }

// Size returns the size of each buffer.
func (b *BufRing) Size() int { return b.size }

// Lent returns how many buffers Publish keeps lent to the kernel.
func (b *BufRing) Lent() int { return b.target }

// Buffer returns the first n bytes of buffer id. They belong to the
// caller until it hands the buffer back with Recycle and Publish.
func (b *BufRing) Buffer(id uint16, n int) []byte {
	off := int(id) * b.size
	return b.bufs[off : off+n : off+b.size]
}

// Recycle gives back buffer id, which a completion handed the caller,
// for the next Publish to lend again.
func (b *BufRing) Recycle(id uint16) {
	b.free = append(b.free, id)
	b.lent--
}

// Grow doubles the buffers Publish keeps lent, up to all of them, and
// reports whether it lent more.
func (b *BufRing) Grow() bool {
	n := min(2*b.target, int(b.entries))
	grew := n > b.target
	b.target = n
	return grew
}

// Shrink lowers the buffers Publish keeps lent to n (at least one). The
// kernel gives the excess back as it fills it: nothing is taken back.
func (b *BufRing) Shrink(n int) {
	b.target = min(max(n, 1), b.target)
}

// Publish lends the kernel buffers from the top of the stack until it
// holds Lent. The ring's tail is the 16-bit field at offset 14, which
// overlaps the first entry's resv (struct io_uring_buf_ring); the kernel
// reads it with smp_load_acquire, so it must be stored with release
// semantics after the entries. sync/atomic has no 16-bit store, so the
// 32-bit word at offset 12, the first entry's bid and the tail, is
// stored whole, the bid unchanged: only this goroutine writes either.
func (b *BufRing) Publish() {
	if b.lent >= b.target || len(b.free) == 0 {
		return
	}
	for b.lent < b.target && len(b.free) > 0 {
		id := b.free[len(b.free)-1]
		b.free = b.free[:len(b.free)-1]
		e := unsafe.Pointer(&b.ring[int(b.tail&b.mask)*bufSize])
		*(*uint64)(e) = uint64(uintptr(unsafe.Pointer(&b.bufs[int(id)*b.size])))
		*(*uint32)(unsafe.Add(e, 8)) = uint32(b.size)
		*(*uint16)(unsafe.Add(e, 12)) = id
		b.tail++
		b.lent++
	}
	word := (*uint32)(unsafe.Pointer(&b.ring[12]))
	v := *word
	halves := (*[2]uint16)(unsafe.Pointer(&v))
	halves[1] = b.tail
	atomic.StoreUint32(word, v)
}

// ReleaseFree gives the pages of the buffers that are not lent back to
// the system (madvise MADV_DONTNEED): their contents are not needed, and
// the next write to one faults in a zeroed page. The kernel never writes
// a buffer that is not lent, so this is safe at any time, however the
// ring was set up. It sorts the stack, so that adjacent buffers are
// released together; their order no longer matters once none is
// resident.
func (b *BufRing) ReleaseFree() error {
	slices.Sort(b.free)
	for i := 0; i < len(b.free); {
		j := i + 1
		for j < len(b.free) && b.free[j] == b.free[j-1]+1 {
			j++
		}
		off, end := int(b.free[i])*b.size, (int(b.free[j-1])+1)*b.size
		if err := unix.Madvise(b.bufs[off:end], unix.MADV_DONTNEED); err != nil {
			return os.NewSyscallError("madvise", err)
		}
		i = j
	}
	return nil
}

// ReleaseAll gives the pages of every buffer back to the system, lent or
// not. The caller must hold none of them, and the kernel must be unable
// to fill a lent one until the caller next enters the ring: see
// Ring.Quiet. A lent buffer's contents do not matter until the kernel
// fills it, and a write to a released page faults in a zeroed one.
func (b *BufRing) ReleaseAll() error {
	if err := unix.Madvise(b.bufs, unix.MADV_DONTNEED); err != nil {
		return os.NewSyscallError("madvise", err)
	}
	return nil
}

// Resident returns how many pages of the buffers are resident
// (mincore(2)); vec must have room for one byte a page of the buffers'
// mapping, and is overwritten.
func (b *BufRing) Resident(vec []byte) (int, error) {
	pages := (len(b.bufs) + os.Getpagesize() - 1) / os.Getpagesize()
	if len(vec) < pages {
		return 0, errors.New("uring: Resident needs a byte a page")
	}
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&b.bufs[0])), uintptr(len(b.bufs)), uintptr(unsafe.Pointer(&vec[0])))
	if errno != 0 {
		return 0, os.NewSyscallError("mincore", errno)
	}
	n := 0
	for _, v := range vec[:pages] {
		n += int(v & 1)
	}
	return n, nil
}

// Pages returns the number of pages the buffers span, the length
// Resident needs.
func (b *BufRing) Pages() int {
	return (len(b.bufs) + os.Getpagesize() - 1) / os.Getpagesize()
}

// Close unregisters the ring from r, if r is still open, and unmaps it.
func (b *BufRing) Close(r *Ring) error {
	var errs []error
	if r != nil && r.fd >= 0 {
		reg := bufReg{bgid: b.group}
		if errno := register(r.fd, unregisterPbufRing, unsafe.Pointer(&reg), 1); errno != 0 {
			errs = append(errs, os.NewSyscallError("io_uring_register", errno))
		}
	}
	if b.ring != nil {
		errs = append(errs, unix.Munmap(b.ring), unix.Munmap(b.bufs))
		b.ring, b.bufs = nil, nil
	}
	return errors.Join(errs...)
}
