package frame

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// decoded is the outcome of feeding a stream to a codec: the frames found,
// the bytes left over and the error that stopped decoding, if any.
type decoded struct {
	frames [][]byte
	rest   []byte
	err    error
}

// checkNext calls c.Next(buf) and fails t unless the result keeps the Codec
// contract: 0 <= n <= min(len(buf), Max()); an error comes with n == 0 and
// wraps ErrTooLarge or ErrBadHeader; and "need more" is only answered while
// fewer than Max() bytes are buffered, so that a buffer of Max() bytes
// always suffices.
func checkNext(t *testing.T, c Codec, buf []byte) (int, error) {
	t.Helper()
	n, err := c.Next(buf)
	if n < 0 || n > len(buf) || (n > 0 && n > c.Max()) {
		t.Fatalf("%v.Next(%d bytes) = %d: outside 0..min(len, Max=%d)", c, len(buf), n, c.Max())
	}
	if err != nil {
		if n != 0 {
			t.Fatalf("%v.Next returned n=%d with error %v", c, n, err)
		}
		if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrBadHeader) {
			t.Fatalf("%v.Next error %v wraps neither ErrTooLarge nor ErrBadHeader", c, err)
		}
		return 0, err
	}
	if n == 0 && len(buf) > 0 && len(buf) >= c.Max() {
		t.Fatalf("%v.Next wants more than Max=%d bytes with %d buffered", c, c.Max(), len(buf))
	}
	return n, nil
}

// drain takes every complete frame off the front of buf.
func drain(t *testing.T, c Codec, buf []byte, d *decoded) []byte {
	t.Helper()
	for {
		n, err := checkNext(t, c, buf)
		if err != nil {
			d.err = err
			return buf
		}
		if n == 0 {
			return buf
		}
		d.frames = append(d.frames, bytes.Clone(buf[:n]))
		buf = buf[n:]
	}
}

// decodeWhole decodes stream handed over in one piece.
func decodeWhole(t *testing.T, c Codec, stream []byte) decoded {
	t.Helper()
	var d decoded
	d.rest = drain(t, c, stream, &d)
	return d
}

// decodeChunked feeds stream to c the way a connection delivers it: each
// byte of cuts is the size of the next read (0 included), the remainder
// arrives last, and after every read the accumulated buffer is drained.
func decodeChunked(t *testing.T, c Codec, stream, cuts []byte) decoded {
	t.Helper()
	var d decoded
	var buf []byte
	feed := func(chunk []byte) bool {
		buf = append(buf, chunk...)
		buf = drain(t, c, buf, &d)
		return d.err == nil
	}
	for _, cut := range cuts {
		k := min(int(cut), len(stream))
		if !feed(stream[:k]) {
			break
		}
		stream = stream[k:]
	}
	if d.err == nil {
		feed(stream)
	}
	d.rest = buf
	return d
}

// sameDecoding fails t unless got and want found the same frames, left the
// same bytes and failed the same way.
func sameDecoding(t *testing.T, what string, got, want decoded) {
	t.Helper()
	if !slices.EqualFunc(got.frames, want.frames, bytes.Equal) {
		t.Fatalf("%s: frames %q, want %q", what, got.frames, want.frames)
	}
	if (got.err == nil) != (want.err == nil) {
		t.Fatalf("%s: error %v, want %v", what, got.err, want.err)
	}
	if got.err == nil && !bytes.Equal(got.rest, want.rest) {
		t.Fatalf("%s: left %q, want %q", what, got.rest, want.rest)
	}
}

// checkSegmentation decodes stream whole and in the pieces cuts describes
// and compares both with the frames the stream was built from.
func checkSegmentation(t *testing.T, c Codec, stream, cuts []byte, built [][]byte, tail []byte) {
	t.Helper()
	want := decoded{frames: built, rest: tail}
	whole := decodeWhole(t, c, stream)
	sameDecoding(t, "whole stream", whole, want)
	sameDecoding(t, "segmented stream", decodeChunked(t, c, stream, cuts), want)
}

func FuzzSegmentationLine(f *testing.F) {
	f.Add([]byte("hello\nworld\n"), []byte{1, 2, 3}, uint8(0))
	f.Add([]byte("no newline"), []byte{0, 0, 5}, uint8(3))
	f.Add([]byte("\n\n\n"), []byte{}, uint8(1))
	f.Fuzz(func(t *testing.T, data, cuts []byte, extra uint8) {
		var built [][]byte
		longest := 0
		for _, line := range bytes.SplitAfter(data, []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			if line[len(line)-1] != '\n' {
				line = append(bytes.Clone(line), '\n')
			}
			built = append(built, line)
			longest = max(longest, len(line))
		}
		stream := bytes.Join(built, nil)
		c, err := New(Spec{Kind: KindLine, Max: max(longest, 1) + int(extra%16)})
		if err != nil {
			t.Fatal(err)
		}
		checkSegmentation(t, c, stream, cuts, built, nil)
	})
}

func FuzzSegmentationLength(f *testing.F) {
	f.Add(uint8(2), []byte{3, 'a', 'b', 'c', 0, 1, 'x'}, []byte{1, 1, 1}, uint8(0))
	f.Add(uint8(3), []byte{200}, []byte{7, 0, 1}, uint8(9))
	f.Add(uint8(0), []byte{}, []byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, hbSel uint8, data, cuts []byte, extra uint8) {
		hb := []int{1, 2, 4, 8}[hbSel%4]
		// Each frame's payload size is taken from the data itself, then
		// as much payload as the data still holds.
		var built [][]byte
		longest := 0
		for i := 0; i < len(data); {
			size := int(data[i])
			i++
			payload := data[i:min(i+size, len(data))]
			i += len(payload)
			hdr, _ := header(hb, uint64(len(payload)))
			fr := append(bytes.Clone(hdr), payload...)
			built = append(built, fr)
			longest = max(longest, len(fr))
		}
		stream := bytes.Join(built, nil)
		c, err := New(Spec{Kind: KindLength, LengthBytes: hb, Max: max(longest, hb+1) + int(extra%16)})
		if err != nil {
			t.Fatal(err)
		}
		checkSegmentation(t, c, stream, cuts, built, nil)
	})
}

func FuzzSegmentationFixed(f *testing.F) {
	f.Add(uint8(3), []byte("abcdefgh"), []byte{2, 2})
	f.Add(uint8(0), []byte("z"), []byte{})
	f.Fuzz(func(t *testing.T, sizeSel uint8, data, cuts []byte) {
		size := int(sizeSel%64) + 1
		var built [][]byte
		rest := data
		for len(rest) >= size {
			built = append(built, rest[:size])
			rest = rest[size:]
		}
		c, err := New(Spec{Kind: KindFixed, FixedSize: size, Max: size})
		if err != nil {
			t.Fatal(err)
		}
		checkSegmentation(t, c, data, cuts, built, rest)
	})
}

// FuzzSegmentationRaw checks the raw framing, whose frames are by design
// whatever each read delivered: every segmentation must pass the stream
// through whole, in order, in frames of 1..Limit bytes.
func FuzzSegmentationRaw(f *testing.F) {
	f.Add(uint8(3), []byte("abcdefgh"), []byte{2, 0, 5})
	f.Add(uint8(0), []byte{}, []byte{1})
	f.Fuzz(func(t *testing.T, limitSel uint8, data, cuts []byte) {
		limit := int(limitSel) + 1
		c, err := New(Spec{Kind: KindRaw, Max: limit})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []decoded{decodeWhole(t, c, data), decodeChunked(t, c, data, cuts)} {
			if d.err != nil || len(d.rest) != 0 {
				t.Fatalf("raw decoding stopped with %q left: %v", d.rest, d.err)
			}
			for _, fr := range d.frames {
				if len(fr) == 0 || len(fr) > limit {
					t.Fatalf("raw frame of %d bytes, limit %d", len(fr), limit)
				}
			}
			if got := bytes.Join(d.frames, nil); !bytes.Equal(got, data) {
				t.Fatalf("raw frames joined = %q, want %q", got, data)
			}
		}
		if whole := decodeWhole(t, c, data); len(whole.frames) != (len(data)+limit-1)/limit {
			t.Fatalf("%d bytes in one read gave %d frames, want %d", len(data), len(whole.frames), (len(data)+limit-1)/limit)
		}
	})
}

// checkArbitrary asserts the Codec contract on arbitrary input: the result
// of checkNext, a frame that is self-delimiting (its own bytes decode to it
// and none of its prefixes do), and errors that are final (more bytes do
// not undo them).
func checkArbitrary(t *testing.T, c Codec, data []byte, selfDelimiting bool) {
	t.Helper()
	n, err := checkNext(t, c, data)
	if err != nil {
		more := append(bytes.Clone(data), "\n\x00\x00\x00\x00\x00\x00\x00\x00"...)
		if _, err2 := c.Next(more); err2 == nil {
			t.Fatalf("%v: error %v on %x went away with more bytes", c, err, data)
		}
		return
	}
	if n == 0 || !selfDelimiting {
		return
	}
	if n2, err := c.Next(data[:n]); n2 != n || err != nil {
		t.Fatalf("%v: frame of %d bytes decodes alone as %d, %v", c, n, n2, err)
	}
	for k := range min(n, 512) {
		if n2, err := c.Next(data[:k]); n2 != 0 || err != nil {
			t.Fatalf("%v: %d-byte prefix of a %d-byte frame decodes as %d, %v", c, k, n, n2, err)
		}
	}
}

func FuzzLength(f *testing.F) {
	for _, hb := range []int{1, 2, 4, 8} {
		for _, hdr := range [][]byte{
			{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
			{0x80, 0, 0, 0, 0, 0, 0, 0},
			{0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c'},
		} {
			f.Add(hb, DefaultMax, hdr)
		}
	}
	f.Add(3, 16, []byte{1, 2, 3})
	f.Add(4, 2, []byte{0, 0, 0, 0})
	f.Add(8, -1, []byte{})
	f.Fuzz(func(t *testing.T, hb, limit int, data []byte) {
		c := Length{HeaderBytes: hb, Limit: limit}
		checkArbitrary(t, c, data, true)
		if n, err := c.Next(data); n > 0 && err == nil {
			hdr, ok := header(hb, uint64(n-hb))
			if !ok || !bytes.Equal(hdr, data[:hb]) {
				t.Fatalf("%v: frame of %d bytes under header %x", c, n, data[:hb])
			}
		}
	})
}

// FuzzNext checks the other codecs on arbitrary bytes and arbitrary,
// possibly nonsensical, parameters.
func FuzzNext(f *testing.F) {
	f.Add(uint8(0), 16, []byte("raw bytes"))
	f.Add(uint8(1), 4, []byte("abc\ndef"))
	f.Add(uint8(1), 3, []byte("abcd"))
	f.Add(uint8(2), 2, []byte("xyz"))
	f.Add(uint8(1), -1, []byte("\n"))
	f.Add(uint8(2), 0, []byte("a"))
	f.Fuzz(func(t *testing.T, kind uint8, limit int, data []byte) {
		switch kind % 3 {
		case 0:
			checkArbitrary(t, Raw{Limit: limit}, data, false)
		case 1:
			checkArbitrary(t, Line{Limit: limit}, data, true)
		default:
			checkArbitrary(t, Fixed{Size: limit}, data, true)
		}
	})
}
