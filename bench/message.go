package bench

import (
	"encoding/binary"
	"fmt"

	"github.com/rawnet/rawnet/frame"
)

// A message is one frame as the server sees it. After the framing's length
// header (if any) come idBytes of identity, then filler, then the framing's
// delimiter (if any). The identity is the connection id in 5 bytes and the
// sequence number in 8 bytes, 7 bits per byte with the high bit set, so no
// identity byte is ever '\n' and line framing cannot split a message early.
// The filler is the same for every message (filler[i] depends only on the
// byte's offset), which lets an echo be compared with one memcmp per read.
const (
	connIDBytes = 5
	seqBytes    = 8
	idBytes     = connIDBytes + seqBytes
	// maxSeq is the largest sequence number the 56-bit field holds.
	maxSeq = 1<<(7*seqBytes) - 1
	// maxMessage bounds every UDP message; it is the largest UDP payload.
	maxMessage = 65507
	// maxTCPMessage bounds every TCP message: large enough for the bulk
	// sizes a forwarder is measured at (1 MiB), small enough that the
	// filler every process holds stays a few MiB.
	maxTCPMessage = 4 << 20
)

// filler holds the bytes every message carries after its identity, indexed
// by offset within the message. It is printable ASCII, never '\n'.
var filler = func() []byte {
	b := make([]byte, maxTCPMessage+1)
	for i := range b {
		b[i] = byte('!' + (i*31)%94)
	}
	return b
}()

// layout describes how messages are framed for one framing.
type layout struct {
	kind frame.Kind
	// header is the length header size for length framing, else 0.
	header int
	// trailer is 1 for line framing (the '\n'), else 0.
	trailer int
	// fixed is the frame size for fixed framing, else 0.
	fixed int
	// tcp lifts the bound on a message from maxMessage, a datagram's
	// payload, to maxTCPMessage.
	tcp bool
}

// newLayout returns the layout for a framing spec.
func newLayout(s frame.Spec) (layout, error) {
	codec, err := frame.New(s)
	if err != nil {
		return layout{}, err
	}
	switch c := codec.(type) {
	case frame.Raw:
		return layout{kind: frame.KindRaw}, nil
	case frame.Line:
		return layout{kind: frame.KindLine, trailer: 1}, nil
	case frame.Length:
		return layout{kind: frame.KindLength, header: c.HeaderBytes}, nil
	case frame.Fixed:
		return layout{kind: frame.KindFixed, fixed: c.Size}, nil
	default:
		return layout{}, fmt.Errorf("bench: framing %s is not supported", codec)
	}
}

// minSize is the smallest message that carries a connection id and a
// sequence number in this framing.
func (l layout) minSize() int { return l.header + idBytes + l.trailer }

// maxSize is the largest message the framing can describe.
func (l layout) maxSize() int {
	limit := maxMessage
	if l.tcp {
		limit = maxTCPMessage
	}
	if l.header > 0 && l.header < 4 {
		return min(limit, l.header+(1<<(8*l.header)-1))
	}
	return limit
}

// checkSize reports whether messages of size bytes can be sent.
func (l layout) checkSize(size int) error {
	if l.fixed > 0 && size != l.fixed {
		return fmt.Errorf("bench: fixed framing sends %d-byte frames, not %d", l.fixed, size)
	}
	if size < l.minSize() {
		return fmt.Errorf("bench: %d-byte messages are too small: %s framing needs %d bytes to carry connection id and sequence number", size, l.kind, l.minSize())
	}
	if size > l.maxSize() {
		return fmt.Errorf("bench: %d-byte messages are too large: %s framing with this header carries at most %d", size, l.kind, l.maxSize())
	}
	return nil
}

// prefix writes the bytes that differ between messages (length header and
// identity) into p and returns how many there are.
func (l layout) prefix(p *[8 + idBytes]byte, size int, conn uint32, seq uint64) int {
	if l.header > 0 {
		var h [8]byte
		binary.BigEndian.PutUint64(h[:], uint64(size-l.header))
		copy(p[:l.header], h[8-l.header:])
	}
	putID(p[l.header:l.header+idBytes], conn, seq)
	return l.header + idBytes
}

// encode writes the whole message of len(dst) bytes.
func (l layout) encode(dst []byte, conn uint32, seq uint64) {
	var p [8 + idBytes]byte
	n := l.prefix(&p, len(dst), conn, seq)
	copy(dst, p[:n])
	copy(dst[n:], filler[n:len(dst)])
	if l.trailer > 0 {
		dst[len(dst)-1] = '\n'
	}
}

// compare checks got against bytes [off, off+len(got)) of the message
// (size, conn, seq) and returns the offset within got of the first byte
// that differs, or -1 when all match.
func (l layout) compare(got []byte, off, size int, conn uint32, seq uint64) int {
	var p [8 + idBytes]byte
	n := l.prefix(&p, size, conn, seq)
	i := 0
	for ; i < len(got) && off+i < n; i++ {
		if got[i] != p[off+i] {
			return i
		}
	}
	end := len(got)
	if l.trailer > 0 && end > 0 && off+end == size {
		end--
		if got[end] != '\n' {
			return end
		}
	}
	if i < end {
		a, b := got[i:end], filler[off+i:off+end]
		if string(a) != string(b) {
			for j := range a {
				if a[j] != b[j] {
					return i + j
				}
			}
		}
	}
	return -1
}

// identity decodes the connection id and sequence number of a whole
// message, reporting false when they are not well formed.
func (l layout) identity(msg []byte) (conn uint32, seq uint64, ok bool) {
	if len(msg) < l.header+idBytes {
		return 0, 0, false
	}
	return getID(msg[l.header : l.header+idBytes])
}

// putID writes conn and seq into b[:idBytes], 7 bits per byte, high bit set.
func putID(b []byte, conn uint32, seq uint64) {
	v := uint64(conn)
	for i := connIDBytes - 1; i >= 0; i-- {
		b[i] = 0x80 | byte(v&0x7f)
		v >>= 7
	}
	for i := idBytes - 1; i >= connIDBytes; i-- {
		b[i] = 0x80 | byte(seq&0x7f)
		seq >>= 7
	}
}

// getID decodes what putID wrote.
func getID(b []byte) (conn uint32, seq uint64, ok bool) {
	var v uint64
	for i := 0; i < idBytes; i++ {
		if b[i]&0x80 == 0 {
			return 0, 0, false
		}
		if i == connIDBytes {
			conn, v = uint32(v), 0
		}
		v = v<<7 | uint64(b[i]&0x7f)
	}
	return conn, v, true
}
