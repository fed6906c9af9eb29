// Package frame finds frame boundaries in buffered bytes.
//
// A Codec is pure: it is handed the bytes a connection has buffered so far
// and reports the length of the first complete frame, that more bytes are
// needed, or a typed error. It performs no I/O, keeps no state between calls
// and never allocates a size that a peer declared, so an engine may call it
// on every read without trusting the peer.
//
// Scan is the loop every engine runs over a connection's buffered bytes:
// it cuts the complete frames at the front and says what the rest is.
// One checks that a datagram is exactly one frame. Both also hold the
// codec to its contract, so a faulty Codec ends a stream with ErrCodec
// instead of an index out of range or a wait that never ends.
//
// Echo servers write each complete frame back unchanged, so frame lengths
// always include headers and delimiters.
package frame

import (
	"errors"
	"fmt"
)

// ErrTooLarge reports a frame whose size exceeds the codec's limit. For the
// length codec it is returned as soon as the header is read, before any
// payload arrives.
var ErrTooLarge = errors.New("frame: frame exceeds limit")

// ErrBadHeader reports a header that cannot describe a valid frame, such as
// a length that does not fit in an int.
var ErrBadHeader = errors.New("frame: bad header")

// DefaultMax is the frame size limit used when a Spec leaves Max at zero.
const DefaultMax = 64 << 10

// Codec reports frame boundaries. Implementations are safe for concurrent
// use because they hold no mutable state.
type Codec interface {
	// Next returns the length n of the complete frame at the start of buf.
	// n == 0 with a nil error means buf holds no complete frame yet. A
	// non-nil error means the stream can never become valid; the caller
	// should close the connection. Next never retains buf.
	Next(buf []byte) (n int, err error)

	// Max returns the largest frame, in bytes including any header or
	// delimiter, that Next will ever report. Engines size their per
	// connection input buffers by it.
	Max() int

	// String names the codec and its parameters, as in "length/4".
	String() string
}

// Kind names a framing.
type Kind string

// The framings rawnet speaks.
const (
	KindRaw    Kind = "raw"    // bytes as they arrive; every read is a frame
	KindLine   Kind = "line"   // frames end with '\n', which is part of the frame
	KindLength Kind = "length" // big-endian length header, then that many bytes
	KindFixed  Kind = "fixed"  // frames of exactly N bytes
)

// Kinds lists every framing in the order help text shows them.
var Kinds = []Kind{KindRaw, KindLine, KindLength, KindFixed}

// Spec describes a framing. Its zero value is raw framing with the default
// limit.
type Spec struct {
	// Kind selects the framing; empty means raw.
	Kind Kind
	// LengthBytes is the header size of the length framing: 1, 2, 4 or 8.
	// Zero means 4.
	LengthBytes int
	// FixedSize is the frame size of the fixed framing. Zero means 64.
	FixedSize int
	// Max bounds every frame, header and delimiter included. Zero means
	// DefaultMax. For raw framing it bounds the bytes one frame carries.
	Max int
}

// New returns the codec a Spec describes, or an error naming the field that
// is out of range.
func New(s Spec) (Codec, error) {
	max := s.Max
	if max == 0 {
		max = DefaultMax
	}
	if max < 0 {
		return nil, fmt.Errorf("frame: max frame %d is negative", max)
	}
	switch s.Kind {
	case "", KindRaw:
		return Raw{Limit: max}, nil
	case KindLine:
		return Line{Limit: max}, nil
	case KindLength:
		hb := s.LengthBytes
		if hb == 0 {
			hb = 4
		}
		if hb != 1 && hb != 2 && hb != 4 && hb != 8 {
			return nil, fmt.Errorf("frame: length header of %d bytes: want 1, 2, 4 or 8", hb)
		}
		if max <= hb {
			return nil, fmt.Errorf("frame: max frame %d leaves no room after a %d-byte header", max, hb)
		}
		return Length{HeaderBytes: hb, Limit: max}, nil
	case KindFixed:
		size := s.FixedSize
		if size == 0 {
			size = 64
		}
		if size < 0 {
			return nil, fmt.Errorf("frame: fixed size %d is negative", size)
		}
		if size > max {
			return nil, fmt.Errorf("frame: fixed size %d exceeds max frame %d", size, max)
		}
		return Fixed{Size: size}, nil
	default:
		return nil, fmt.Errorf("frame: unknown framing %q (want raw, line, length or fixed)", s.Kind)
	}
}
