//go:build linux

package uring

import (
	"errors"
	"os"
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
type BufRing struct {
	ring    []byte // entries × struct io_uring_buf
	bufs    []byte // entries × size
	size    int
	mask    uint16
	entries uint16
	tail    uint16 // local tail; published by Publish
	group   uint16
	ringFd  int
}

// bufSize is sizeof(struct io_uring_buf): addr u64, len u32, bid u16,
// resv u16.
const bufSize = 16

// NewBufRing registers a ring of entries buffers of size bytes each as
// buffer group group of r, every buffer handed to the kernel. entries
// must be a power of two of at most 32768 (io_uring_register(2),
// IORING_REGISTER_PBUF_RING).
func NewBufRing(r *Ring, group uint16, entries, size int) (*BufRing, error) {
	if entries <= 0 || entries > 1<<15 || entries&(entries-1) != 0 {
		return nil, errors.New("uring: buffer ring entries must be a power of two up to 32768")
	}
	b := &BufRing{size: size, mask: uint16(entries - 1), entries: uint16(entries), group: group, ringFd: r.fd}
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
	for i := range entries {
		b.Recycle(uint16(i))
	}
	b.Publish()
	return b, nil
}

// Group returns the buffer group ID to select buffers from.
func (b *BufRing) Group() uint16 { return b.group }

// Size returns the size of each buffer.
func (b *BufRing) Size() int { return b.size }

// Buffer returns the first n bytes of buffer id. They belong to the
// caller until it hands the buffer back with Recycle and Publish.
func (b *BufRing) Buffer(id uint16, n int) []byte {
	off := int(id) * b.size
	return b.bufs[off : off+n : off+b.size]
}

// Recycle queues buffer id to be handed back to the kernel by the next
// Publish.
func (b *BufRing) Recycle(id uint16) {
	e := unsafe.Pointer(&b.ring[int(b.tail&b.mask)*bufSize])
	*(*uint64)(e) = uint64(uintptr(unsafe.Pointer(&b.bufs[int(id)*b.size])))
	*(*uint32)(unsafe.Add(e, 8)) = uint32(b.size)
	*(*uint16)(unsafe.Add(e, 12)) = id
	b.tail++
}

// Publish hands the recycled buffers to the kernel. The ring's tail is
// the 16-bit field at offset 14, which overlaps the first entry's resv
// (struct io_uring_buf_ring); the kernel reads it with
// smp_load_acquire, so it must be stored with release semantics after
// the entries. sync/atomic has no 16-bit store, so the 32-bit word at
// offset 12, the first entry's bid and the tail, is stored whole, the
// bid unchanged: only this goroutine writes either.
func (b *BufRing) Publish() {
	word := (*uint32)(unsafe.Pointer(&b.ring[12]))
	v := *word
	halves := (*[2]uint16)(unsafe.Pointer(&v))
	halves[1] = b.tail
	atomic.StoreUint32(word, v)
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
