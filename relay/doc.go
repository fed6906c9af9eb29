// Package relay is a TCP forwarder on netpoll: each accepted connection is
// paired with a connection to an upstream, opened without blocking on the
// same loop, and the bytes of each direction are moved by one of two data
// paths:
//
//   - splice: socket → pipe → socket with splice(2), so the payload never
//     enters user space. Each loop keeps a pool of pipes; a direction
//     borrows one only while it holds bytes, so an idle pair holds no pipe.
//     Pipes have the kernel's default capacity, 64 KiB; a direction whose
//     splice fills its pipe with more bytes right behind, a transfer
//     larger than the pipe, borrows a pipe grown to 1 MiB instead (F_SETPIPE_SZ), one splice pair where a
//     1 MiB message took sixteen, while the pipes grown, every loop's
//     together, stay within a budget of pages (Config.PipeGrowMax): by
//     default a quarter of the user's pipe quota, fs.pipe-user-pages-soft,
//     past which the kernel would give the user's new pipes 2 pages.
//   - copy: recv(2) into the loop's 64 KiB buffer and send(2) straight on;
//     only what the destination did not take is kept, in a buffer the
//     direction borrows until it drains.
//
// Both keep the same promises:
//
//   - every byte is forwarded once, in order;
//   - a FIN one way becomes shutdown(SHUT_WR) on the other side while the
//     other direction keeps flowing (half-close), and the pair closes once
//     both directions have ended;
//   - backpressure both ways: a direction holds at most one pipe (grown
//     or not) or one buffer of bytes its destination has not taken, and
//     stops reading its source until they are gone, so TCP flow control
//     holds the sender back and memory stays flat with a peer that never
//     reads; the growing budget bounds how many directions hold 1 MiB;
//   - an upstream that refuses, resets or times out closes only its own
//     pair, with a log line and a counted reason (Stats.Closed);
//   - running out of descriptors neither spins nor stops the relay: netpoll
//     pauses accepting, a failed upstream socket closes only its pair, and
//     a direction that cannot get a pipe copies instead.
//
// A Relay is started with Start and stopped with Shutdown, which stops
// accepting and lets pairs finish until they are quiet (netpoll's drain);
// a pair that holds bytes one side sent and the other has not taken yet is
// not quiet, so nothing the relay accepted is dropped before Shutdown's
// context ends.
package relay
