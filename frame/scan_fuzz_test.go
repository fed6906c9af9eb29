package frame

import (
	"errors"
	"strings"
	"testing"
)

// fuzzCodec picks a codec of this package, with limit as its parameter
// whatever its sense, or a liar for kinds past them.
func fuzzCodec(kind uint8, limit int) (c Codec, honest bool) {
	switch kind % 8 {
	case 0:
		return Raw{Limit: limit}, true
	case 1:
		return Line{Limit: limit}, true
	case 2, 3, 4, 5:
		return Length{HeaderBytes: []int{1, 2, 4, 8}[kind%8-2], Limit: limit}, true
	case 6:
		return Fixed{Size: limit}, true
	default:
		return liar{max: limit}, false
	}
}

// scanChunked feeds stream to c the way a connection delivers it, each
// byte of cuts the size of the next read and the remainder last, and
// scans the bytes buffered after every read as an engine does. It returns
// the bytes consumed as frames and whether a scan failed.
func scanChunked(c Codec, stream, cuts []byte) (consumed int, failed bool) {
	var buf []byte
	feed := func(chunk []byte) bool {
		buf = append(buf, chunk...)
		n, _, err := Scan(c, buf)
		consumed += n
		buf = buf[n:]
		return err == nil
	}
	for _, cut := range cuts {
		k := min(int(cut), len(stream))
		if !feed(stream[:k]) {
			return consumed, true
		}
		stream = stream[k:]
	}
	return consumed, !feed(stream)
}

// FuzzScan checks Scan and One on arbitrary bytes, with every codec of
// the package under arbitrary parameters and with a codec that lies:
// Scan never reports bytes it was not given, a nil error leaves only an
// incomplete frame, errors are the documented ones, One agrees with Scan,
// and an honest codec frames a stream alike however it is cut into reads.
func FuzzScan(f *testing.F) {
	f.Add(uint8(1), 8, []byte("a\nbc\nde"), []byte{1, 3})
	f.Add(uint8(2), 3, []byte("\x01a\x09"), []byte{})
	f.Add(uint8(5), 64, []byte(strings.Repeat("\xff", 8)), []byte{4})
	f.Add(uint8(6), 3, []byte("abcdefgh"), []byte{0, 2, 2})
	f.Add(uint8(0), 4, []byte("abcdefghij"), []byte{5})
	f.Add(uint8(7), 64, []byte("\x02a\x02b\x05cd"), []byte{})
	f.Add(uint8(7), 3, []byte("\x00bc"), []byte{})
	f.Add(uint8(7), 64, []byte("\xff"), []byte{})
	f.Fuzz(func(t *testing.T, kind uint8, limit int, data, cuts []byte) {
		c, honest := fuzzCodec(kind, limit)
		n, frames, err := Scan(c, data)
		if n < 0 || n > len(data) || frames < 0 || frames > n || (frames == 0) != (n == 0) {
			t.Fatalf("%v: Scan of %d bytes = %d bytes in %d frames", c, len(data), n, frames)
		}
		// The frames found are found again, alone.
		if n2, frames2, err2 := Scan(c, data[:n]); n2 != n || frames2 != frames || err2 != nil {
			t.Fatalf("%v: Scan of its own %d bytes of frames = %d in %d, %v; want %d in %d", c, n, n2, frames2, err2, n, frames)
		}
		rest := data[n:]
		switch {
		case err == nil && len(rest) > 0:
			if k, err := c.Next(rest); k != 0 || err != nil || len(rest) >= c.Max() {
				t.Fatalf("%v: Scan left %d bytes (Max %d) that Next frames as %d, %v", c, len(rest), c.Max(), k, err)
			}
		case err == nil:
		case !strings.HasPrefix(err.Error(), "frame: "):
			t.Fatalf("%v: error %q lacks the package prefix", c, err)
		case honest && errors.Is(err, ErrCodec):
			t.Fatalf("%v: a codec of this package broke its contract: %v", c, err)
		case !errors.Is(err, ErrCodec) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrBadHeader):
			t.Fatalf("%v: error %v is none of the documented ones", c, err)
		}
		one := err == nil && n == len(data) && frames == 1
		if _, oerr := One(c, data); (oerr == nil) != one {
			t.Fatalf("%v: One of %d bytes: %v; Scan found %d bytes in %d frames, %v", c, len(data), oerr, n, frames, err)
		}
		if !honest {
			// A liar may claim, on a read cut short, bytes that have
			// not arrived yet; only honest codecs segment alike.
			return
		}
		if consumed, failed := scanChunked(c, data, cuts); consumed != n || failed != (err != nil) {
			t.Fatalf("%v: cut into reads %v, frames took %d bytes and failed=%v; whole, %d bytes, %v", c, cuts, consumed, failed, n, err)
		}
	})
}
