package frame

import (
	"errors"
	"strings"
	"testing"
)

// nextCase is one call of Next and its expected result.
type nextCase struct {
	name    string
	codec   Codec
	buf     []byte
	wantN   int
	wantErr error // sentinel the error must wrap; nil means no error
}

func runNextCases(t *testing.T, tests []nextCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := tt.codec.Next(tt.buf)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("%v.Next(%q) error %v, want %v", tt.codec, tt.buf, err, tt.wantErr)
				}
				if n != 0 {
					t.Errorf("%v.Next(%q) = %d with an error, want 0", tt.codec, tt.buf, n)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v.Next(%q): %v", tt.codec, tt.buf, err)
			}
			if n != tt.wantN {
				t.Errorf("%v.Next(%q) = %d, want %d", tt.codec, tt.buf, n, tt.wantN)
			}
		})
	}
}

func TestRawNext(t *testing.T) {
	runNextCases(t, []nextCase{
		{name: "empty", codec: Raw{Limit: 4}, buf: nil, wantN: 0},
		{name: "under limit", codec: Raw{Limit: 4}, buf: []byte("ab"), wantN: 2},
		{name: "at limit", codec: Raw{Limit: 4}, buf: []byte("abcd"), wantN: 4},
		{name: "over limit", codec: Raw{Limit: 4}, buf: []byte("abcdef"), wantN: 4},
		{name: "zero limit", codec: Raw{Limit: 0}, buf: []byte("a"), wantErr: ErrTooLarge},
		{name: "negative limit", codec: Raw{Limit: -1}, buf: []byte("a"), wantErr: ErrTooLarge},
	})
}

func TestLineNext(t *testing.T) {
	runNextCases(t, []nextCase{
		{name: "empty", codec: Line{Limit: 8}, buf: nil, wantN: 0},
		{name: "partial", codec: Line{Limit: 8}, buf: []byte("abc"), wantN: 0},
		{name: "empty line", codec: Line{Limit: 8}, buf: []byte("\n"), wantN: 1},
		{name: "one line", codec: Line{Limit: 8}, buf: []byte("abc\n"), wantN: 4},
		{name: "first of two", codec: Line{Limit: 8}, buf: []byte("ab\ncd\n"), wantN: 3},
		{name: "carriage return belongs to the frame", codec: Line{Limit: 8}, buf: []byte("ab\r\n"), wantN: 4},
		{name: "line exactly at limit", codec: Line{Limit: 4}, buf: []byte("abc\nxyz"), wantN: 4},
		{name: "limit minus one without newline waits", codec: Line{Limit: 4}, buf: []byte("abc"), wantN: 0},
		{name: "limit bytes without newline", codec: Line{Limit: 4}, buf: []byte("abcd"), wantErr: ErrTooLarge},
		{name: "newline just past limit", codec: Line{Limit: 4}, buf: []byte("abcd\n"), wantErr: ErrTooLarge},
		{name: "limit 1 accepts bare newline", codec: Line{Limit: 1}, buf: []byte("\n\n"), wantN: 1},
		{name: "limit 1 rejects a byte", codec: Line{Limit: 1}, buf: []byte("a\n"), wantErr: ErrTooLarge},
		{name: "zero limit", codec: Line{Limit: 0}, buf: []byte("\n"), wantErr: ErrTooLarge},
		{name: "negative limit", codec: Line{Limit: -5}, buf: []byte("ab\n"), wantErr: ErrTooLarge},
	})
}

func TestLengthNext(t *testing.T) {
	runNextCases(t, []nextCase{
		{name: "1-byte empty buffer", codec: Length{HeaderBytes: 1, Limit: 16}, buf: nil, wantN: 0},
		{name: "1-byte header only", codec: Length{HeaderBytes: 1, Limit: 16}, buf: []byte{3}, wantN: 0},
		{name: "1-byte partial payload", codec: Length{HeaderBytes: 1, Limit: 16}, buf: []byte{3, 'a', 'b'}, wantN: 0},
		{name: "1-byte complete", codec: Length{HeaderBytes: 1, Limit: 16}, buf: []byte{3, 'a', 'b', 'c'}, wantN: 4},
		{name: "1-byte complete with more behind", codec: Length{HeaderBytes: 1, Limit: 16}, buf: []byte{1, 'a', 2, 'b'}, wantN: 2},
		{name: "1-byte empty payload", codec: Length{HeaderBytes: 1, Limit: 16}, buf: []byte{0, 9}, wantN: 1},
		{name: "1-byte payload at limit", codec: Length{HeaderBytes: 1, Limit: 4}, buf: []byte{3, 'a', 'b', 'c'}, wantN: 4},
		{name: "1-byte payload over limit", codec: Length{HeaderBytes: 1, Limit: 4}, buf: []byte{4}, wantErr: ErrTooLarge},
		{name: "2-byte partial header", codec: Length{HeaderBytes: 2, Limit: 16}, buf: []byte{0}, wantN: 0},
		{name: "2-byte complete", codec: Length{HeaderBytes: 2, Limit: 16}, buf: []byte{0, 2, 'h', 'i'}, wantN: 4},
		{name: "2-byte big endian", codec: Length{HeaderBytes: 2, Limit: 300}, buf: append([]byte{1, 0}, make([]byte, 256)...), wantN: 258},
		{name: "2-byte over limit", codec: Length{HeaderBytes: 2, Limit: 16}, buf: []byte{1, 0}, wantErr: ErrTooLarge},
		{name: "4-byte partial header", codec: Length{HeaderBytes: 4, Limit: 16}, buf: []byte{0, 0, 0}, wantN: 0},
		{name: "4-byte complete", codec: Length{HeaderBytes: 4, Limit: 16}, buf: []byte{0, 0, 0, 1, 'x'}, wantN: 5},
		{name: "4-byte header-only frame at limit", codec: Length{HeaderBytes: 4, Limit: 4}, buf: []byte{0, 0, 0, 0}, wantN: 4},
		{name: "8-byte complete", codec: Length{HeaderBytes: 8, Limit: 16}, buf: []byte{0, 0, 0, 0, 0, 0, 0, 2, 'o', 'k'}, wantN: 10},
		{name: "8-byte top bit", codec: Length{HeaderBytes: 8, Limit: 16}, buf: []byte{0x80, 0, 0, 0, 0, 0, 0, 0}, wantErr: ErrBadHeader},
		{name: "8-byte under 2^63 over limit", codec: Length{HeaderBytes: 8, Limit: 16}, buf: []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, wantErr: ErrTooLarge},
		{name: "header size 3", codec: Length{HeaderBytes: 3, Limit: 16}, buf: nil, wantErr: ErrBadHeader},
		{name: "header size 0", codec: Length{HeaderBytes: 0, Limit: 16}, buf: []byte{1, 2}, wantErr: ErrBadHeader},
		{name: "limit below header", codec: Length{HeaderBytes: 4, Limit: 2}, buf: []byte{0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9}, wantErr: ErrTooLarge},
		{name: "negative limit", codec: Length{HeaderBytes: 1, Limit: -1}, buf: []byte{0}, wantErr: ErrTooLarge},
	})
}

func TestFixedNext(t *testing.T) {
	runNextCases(t, []nextCase{
		{name: "empty", codec: Fixed{Size: 3}, buf: nil, wantN: 0},
		{name: "short", codec: Fixed{Size: 3}, buf: []byte("ab"), wantN: 0},
		{name: "exact", codec: Fixed{Size: 3}, buf: []byte("abc"), wantN: 3},
		{name: "more", codec: Fixed{Size: 3}, buf: []byte("abcdefg"), wantN: 3},
		{name: "size 1", codec: Fixed{Size: 1}, buf: []byte("z"), wantN: 1},
		{name: "zero size", codec: Fixed{Size: 0}, buf: []byte("a"), wantErr: ErrTooLarge},
		{name: "negative size", codec: Fixed{Size: -3}, buf: []byte("abc"), wantErr: ErrTooLarge},
	})
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		name  string
		codec Codec
		buf   []byte
		want  string
	}{
		{name: "line", codec: Line{Limit: 3}, buf: []byte("abc"), want: "frame: frame exceeds limit: no newline in 3 bytes"},
		{name: "length over limit", codec: Length{HeaderBytes: 2, Limit: 10}, buf: []byte{0, 9}, want: "frame: frame exceeds limit: declared length 9, limit 8"},
		{name: "length over int", codec: Length{HeaderBytes: 8, Limit: 10}, buf: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
			want: "frame: bad header: declared length 18446744073709551615 does not fit in an int"},
		{name: "length header size", codec: Length{HeaderBytes: 5, Limit: 10}, want: "frame: bad header: header size 5"},
		{name: "no room", codec: Fixed{Size: 0}, want: "frame: frame exceeds limit: limit 0 admits no frame"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.codec.Next(tt.buf)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "frame: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestNextDoesNotModify checks that Next leaves the buffer as it
// found it, which lets engines call it on memory they own.
func TestNextDoesNotModify(t *testing.T) {
	codecs := []Codec{Raw{Limit: 4}, Line{Limit: 8}, Length{HeaderBytes: 2, Limit: 8}, Fixed{Size: 2}}
	for _, c := range codecs {
		buf := []byte{0, 3, 'a', '\n', 'c', 0xff}
		orig := string(buf)
		if _, err := c.Next(buf); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if string(buf) != orig {
			t.Errorf("%v.Next modified its buffer: %q -> %q", c, orig, buf)
		}
	}
}
