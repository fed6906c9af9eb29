// Package uring is a minimal io_uring binding for netpoll's completion
// backend, written on golang.org/x/sys/unix without cgo: ring set-up and
// mapping, submission and completion queues, the few operations a
// network server needs (multishot accept and recv, send, multishot poll,
// cancel), a provided buffer ring, the opcode probe, and a check that
// tells whether the running kernel and process may use all of it.
//
// Structure layouts, opcodes and flags are those of the kernel's uapi
// header include/uapi/linux/io_uring.h, as liburing ships it
// (src/include/liburing/io_uring.h); memory ordering follows liburing's
// io_uring_smp_load_acquire / io_uring_smp_store_release, which
// sync/atomic's sequentially consistent loads and stores satisfy.
//
// A Ring belongs to one goroutine at a time; nothing in it is locked. The
// package is Linux only: elsewhere it is empty.
package uring
