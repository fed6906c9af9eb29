package frame

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
)

// errNoRoom reports a codec built by hand with a limit that no frame can
// meet. New never builds one; the check keeps Next from panicking or
// returning a negative or over-limit length when it is misused.
func errNoRoom(limit int) error {
	return fmt.Errorf("%w: limit %d admits no frame", ErrTooLarge, limit)
}

// Raw treats whatever bytes are buffered as one frame, up to Limit bytes.
type Raw struct {
	// Limit bounds the bytes one frame carries; it must be positive.
	Limit int
}

// Next returns min(len(buf), Limit), or ErrTooLarge if Limit is not
// positive.
func (r Raw) Next(buf []byte) (int, error) {
	if r.Limit <= 0 {
		return 0, errNoRoom(r.Limit)
	}
	return min(len(buf), r.Limit), nil
}

// Max returns Limit.
func (r Raw) Max() int { return r.Limit }

// String returns "raw".
func (r Raw) String() string { return "raw" }

// Line frames end with '\n'; the delimiter belongs to the frame.
type Line struct {
	// Limit bounds a line, delimiter included.
	Limit int
}

// Next returns the length of the first line in buf, delimiter included. It
// returns ErrTooLarge once Limit bytes are buffered without a delimiter, so
// a peer that never sends '\n' costs at most Limit bytes, and at once if
// Limit is not positive.
func (l Line) Next(buf []byte) (int, error) {
	if l.Limit <= 0 {
		return 0, errNoRoom(l.Limit)
	}
	scan := buf
	if len(scan) > l.Limit {
		scan = scan[:l.Limit]
	}
	if i := bytes.IndexByte(scan, '\n'); i >= 0 {
		return i + 1, nil
	}
	if len(buf) >= l.Limit {
		return 0, fmt.Errorf("%w: no newline in %d bytes", ErrTooLarge, l.Limit)
	}
	return 0, nil
}

// Max returns Limit.
func (l Line) Max() int { return l.Limit }

// String returns "line".
func (l Line) String() string { return "line" }

// Length frames carry a big-endian unsigned header of HeaderBytes bytes
// giving the payload size, followed by the payload.
type Length struct {
	// HeaderBytes is 1, 2, 4 or 8.
	HeaderBytes int
	// Limit bounds header plus payload.
	Limit int
}

// Next decodes the header as soon as it is complete and rejects a declared
// size over Limit at once, before any payload is read or buffered. A
// HeaderBytes other than 1, 2, 4 or 8 is ErrBadHeader and a Limit below
// HeaderBytes is ErrTooLarge, whatever buf holds.
func (l Length) Next(buf []byte) (int, error) {
	if l.HeaderBytes != 1 && l.HeaderBytes != 2 && l.HeaderBytes != 4 && l.HeaderBytes != 8 {
		return 0, fmt.Errorf("%w: header size %d", ErrBadHeader, l.HeaderBytes)
	}
	// Without this check Limit-HeaderBytes is negative and, converted to
	// uint64 below, would admit any declared size.
	if l.Limit < l.HeaderBytes {
		return 0, errNoRoom(l.Limit)
	}
	if len(buf) < l.HeaderBytes {
		return 0, nil
	}
	var size uint64
	switch l.HeaderBytes {
	case 1:
		size = uint64(buf[0])
	case 2:
		size = uint64(binary.BigEndian.Uint16(buf))
	case 4:
		size = uint64(binary.BigEndian.Uint32(buf))
	default:
		size = binary.BigEndian.Uint64(buf)
	}
	// Compare in uint64 so that an 8-byte header such as 0xFFFF... cannot
	// wrap into a small or negative int.
	if size > math.MaxInt64 {
		return 0, fmt.Errorf("%w: declared length %d does not fit in an int", ErrBadHeader, size)
	}
	if size > uint64(l.Limit-l.HeaderBytes) {
		return 0, fmt.Errorf("%w: declared length %d, limit %d", ErrTooLarge, size, l.Limit-l.HeaderBytes)
	}
	total := l.HeaderBytes + int(size)
	if len(buf) < total {
		return 0, nil
	}
	return total, nil
}

// Max returns Limit.
func (l Length) Max() int { return l.Limit }

// String returns "length/N" for an N-byte header.
func (l Length) String() string { return fmt.Sprintf("length/%d", l.HeaderBytes) }

// Fixed frames are exactly Size bytes.
type Fixed struct {
	// Size is the frame size; it must be positive.
	Size int
}

// Next returns Size once Size bytes are buffered, or ErrTooLarge if Size
// is not positive.
func (f Fixed) Next(buf []byte) (int, error) {
	if f.Size <= 0 {
		return 0, errNoRoom(f.Size)
	}
	if len(buf) < f.Size {
		return 0, nil
	}
	return f.Size, nil
}

// Max returns Size.
func (f Fixed) Max() int { return f.Size }

// String returns "fixed/N".
func (f Fixed) String() string { return fmt.Sprintf("fixed/%d", f.Size) }
