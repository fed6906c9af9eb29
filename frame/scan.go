package frame

import (
	"errors"
	"fmt"
)

// ErrCodec reports a Codec that broke its contract: it reported a frame
// longer than the bytes it was given or of negative length, or it asked
// for more bytes while holding Max() of them already. It is a bug in the
// codec rather than in the peer's bytes, but either way the stream
// cannot be framed past that point, so Scan and One return it where a
// codec error would stand, and engines count it as a bad frame.
var ErrCodec = errors.New("frame: codec broke its contract")

// ErrNotOne reports bytes that had to be exactly one frame, as a datagram
// must, but hold no complete frame, or bytes after one.
var ErrNotOne = errors.New("frame: not exactly one frame")

// Scan cuts the complete frames at the start of buf with c, as an engine
// does after each read. buf[:n] holds the complete frames found there,
// frames of them back to back, to be written back or handed on as one
// piece; buf[n:] is what follows them.
//
// With a nil error, buf[n:] is empty or an incomplete frame: the caller
// keeps it and calls Scan again once more bytes have arrived behind it.
// With an error, buf[n:] can never be framed and the connection should be
// closed; the frames in buf[:n] are sound and may still be delivered
// first. The error is the codec's own (wrapping ErrTooLarge or
// ErrBadHeader for the codecs of this package), or one wrapping ErrCodec
// when c reported more bytes than it was given or a negative length, or
// asked for more bytes with c.Max() of them at hand.
//
// Scan does not retain buf and allocates nothing unless c does: it hands
// c sub-slices of buf for the length of each Next call, as the Codec
// contract allows, and buf stays the caller's. n and frames describe buf
// as it is now; they are void once the caller changes buf[:n].
func Scan(c Codec, buf []byte) (n, frames int, err error) {
	for n < len(buf) {
		k, err := next(c, buf[n:])
		if err != nil {
			return n, frames, err
		}
		if k == 0 {
			break
		}
		n += k
		frames++
	}
	return n, frames, nil
}

// One checks that buf is exactly one complete frame of c with nothing
// after it, the rule for a datagram. It returns n, the length of the
// frame at the start of buf (0 if there is none), and nil if n ==
// len(buf) > 0. Otherwise err is the codec's error, one wrapping ErrCodec
// as for Scan, or ErrNotOne itself, unwrapped, so that dropping a
// datagram of the wrong shape allocates nothing. Like Scan, One does not
// retain buf.
func One(c Codec, buf []byte) (n int, err error) {
	n, err = next(c, buf)
	switch {
	case err != nil:
		return 0, err
	case n == 0 || n != len(buf):
		return n, ErrNotOne
	}
	return n, nil
}

// next is c.Next(buf) with its contract checked, so that no caller can
// index past buf, loop without progress, or wait forever for bytes that
// no buffer of Max() bytes would hold.
func next(c Codec, buf []byte) (int, error) {
	k, err := c.Next(buf)
	switch {
	case err != nil:
		return 0, err
	case k < 0 || k > len(buf):
		return 0, fmt.Errorf("%w: %s reported a %d-byte frame in %d bytes", ErrCodec, c, k, len(buf))
	case k == 0 && len(buf) > 0 && len(buf) >= c.Max():
		return 0, fmt.Errorf("%w: %s found no frame in %d bytes, its own maximum being %d", ErrCodec, c, len(buf), c.Max())
	}
	return k, nil
}
