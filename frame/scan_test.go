package frame

import (
	"errors"
	"strings"
	"testing"
)

// liar is a Codec that breaks the contract on purpose: Next reports the
// first byte of buf, read as a signed number, as the frame length, and
// Max reports max. It keeps no state, as a Codec must.
type liar struct{ max int }

func (l liar) Next(buf []byte) (int, error) {
	if len(buf) == 0 {
		return 0, nil
	}
	return int(int8(buf[0])), nil
}

func (l liar) Max() int       { return l.max }
func (l liar) String() string { return "liar" }

// checkErr fails t unless err is nil when want is, and otherwise wraps
// want and carries the package prefix.
func checkErr(t *testing.T, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("error %v, want none", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("error %v, want one wrapping %v", err, want)
	case err != nil && !strings.HasPrefix(err.Error(), "frame: "):
		t.Fatalf("error %q lacks the package prefix", err)
	}
}

func TestScan(t *testing.T) {
	tests := []struct {
		name       string
		codec      Codec
		buf        string
		wantN      int
		wantFrames int
		wantErr    error
	}{
		{name: "empty", codec: Line{Limit: 8}, buf: ""},
		{name: "one partial frame", codec: Line{Limit: 8}, buf: "abc"},
		{name: "frames then a partial one", codec: Line{Limit: 8}, buf: "a\nbc\nde", wantN: 5, wantFrames: 2},
		{name: "frames only", codec: Line{Limit: 8}, buf: "a\n\n", wantN: 3, wantFrames: 2},
		{name: "a frame, then one over the limit", codec: Line{Limit: 4}, buf: "ab\ncdefg", wantN: 3, wantFrames: 1, wantErr: ErrTooLarge},
		{name: "length frames and a header", codec: Length{HeaderBytes: 1, Limit: 8}, buf: "\x02ab\x01c\x05", wantN: 5, wantFrames: 2},
		{name: "length declared over the limit after a frame", codec: Length{HeaderBytes: 1, Limit: 3}, buf: "\x01a\x09", wantN: 2, wantFrames: 1, wantErr: ErrTooLarge},
		{name: "length header out of int range", codec: Length{HeaderBytes: 8, Limit: 64}, buf: strings.Repeat("\xff", 8), wantErr: ErrBadHeader},
		{name: "fixed frames and a partial one", codec: Fixed{Size: 3}, buf: "abcdefgh", wantN: 6, wantFrames: 2},
		{name: "raw takes everything in frames of the limit", codec: Raw{Limit: 4}, buf: "abcdefghij", wantN: 10, wantFrames: 3},
		{name: "raw with no room", codec: Raw{Limit: 0}, buf: "a", wantErr: ErrTooLarge},
		{name: "codec reports more bytes than given after sound frames", codec: liar{max: 64}, buf: "\x02a\x02b\x05cd", wantN: 4, wantFrames: 2, wantErr: ErrCodec},
		{name: "codec reports a negative length", codec: liar{max: 64}, buf: "\xff", wantErr: ErrCodec},
		{name: "codec wants more while holding its maximum", codec: liar{max: 3}, buf: "\x00bc", wantErr: ErrCodec},
		{name: "codec wants more under its maximum", codec: liar{max: 4}, buf: "\x00bc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, frames, err := Scan(tt.codec, []byte(tt.buf))
			if n != tt.wantN || frames != tt.wantFrames {
				t.Errorf("Scan(%v, %q) = %d bytes in %d frames, want %d in %d", tt.codec, tt.buf, n, frames, tt.wantN, tt.wantFrames)
			}
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestOne(t *testing.T) {
	tests := []struct {
		name    string
		codec   Codec
		buf     string
		wantN   int
		wantErr error
	}{
		{name: "raw datagram", codec: Raw{Limit: 8}, buf: "abc", wantN: 3},
		{name: "empty raw datagram holds no frame", codec: Raw{Limit: 8}, buf: "", wantErr: ErrNotOne},
		{name: "raw datagram over the limit", codec: Raw{Limit: 2}, buf: "abc", wantN: 2, wantErr: ErrNotOne},
		{name: "one line", codec: Line{Limit: 8}, buf: "ab\n", wantN: 3},
		{name: "two lines", codec: Line{Limit: 8}, buf: "a\nb\n", wantN: 2, wantErr: ErrNotOne},
		{name: "line without its delimiter", codec: Line{Limit: 8}, buf: "ab", wantErr: ErrNotOne},
		{name: "line over the limit", codec: Line{Limit: 2}, buf: "abc", wantErr: ErrTooLarge},
		{name: "length frame", codec: Length{HeaderBytes: 1, Limit: 8}, buf: "\x02ab", wantN: 3},
		{name: "length frame and trailing bytes", codec: Length{HeaderBytes: 1, Limit: 8}, buf: "\x01ab", wantN: 2, wantErr: ErrNotOne},
		{name: "part of a length frame", codec: Length{HeaderBytes: 1, Limit: 8}, buf: "\x05ab", wantErr: ErrNotOne},
		{name: "codec reports more bytes than given", codec: liar{max: 64}, buf: "\x09", wantErr: ErrCodec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := One(tt.codec, []byte(tt.buf))
			if n != tt.wantN {
				t.Errorf("One(%v, %q) = %d, want %d", tt.codec, tt.buf, n, tt.wantN)
			}
			checkErr(t, err, tt.wantErr)
		})
	}
}

// TestScanAllocatesNothing holds Scan and One to what their documentation
// promises for the package's codecs: no allocation for complete frames,
// a partial frame, or a datagram dropped for its shape.
func TestScanAllocatesNothing(t *testing.T) {
	lines := []byte(strings.Repeat("0123456789abcde\n", 16) + "partial")
	tests := []struct {
		name string
		call func()
	}{
		{name: "Scan of frames and a partial one", call: func() { Scan(Line{Limit: 64}, lines) }},
		{name: "One of a frame", call: func() { One(Line{Limit: 64}, lines[:16]) }},
		{name: "One of two frames", call: func() { One(Line{Limit: 64}, lines[:32]) }},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(100, tt.call); got != 0 {
			t.Errorf("%s: %v allocations, want 0", tt.name, got)
		}
	}
}
