package resp

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/rawnet/rawnet/frame"
)

// fuzzLimits maps three fuzzed bytes onto limits small enough for the
// fuzzer to reach, with 0 standing for the default.
func fuzzLimits(args, bulk, command uint8) Limits {
	return Limits{Args: int(args % 8), Bulk: int(bulk % 64), Command: int(command) * 4}
}

// FuzzParse checks the Codec contract on arbitrary bytes: results within
// bounds, only typed errors, a request for more only below Max, a command
// that is exactly what its arguments encode to, and the same answer from
// the command alone, from every shorter prefix (more, please) and, for an
// error, an error still with more bytes behind them (not always the
// same one: a command that ran out of room at Max may turn out to be
// malformed earlier once more of it is seen).
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n*1\r\n$4\r\nPING\r\n",
		"PING\r\n", " get  k \n", "*0\r\n", "*-1\r\n", "*1\r\n$-1\r\n",
		"*1\r\n$4294967296\r\n", "*99999999\r\n", "*1\r\n$1\r\nab\r\n", "$3\r\nfoo\r\n",
		"*1\r\n:1\r\n", "*01\r\n", "*1\rx",
	} {
		f.Add([]byte(seed), uint8(0), uint8(0), uint8(0))
		f.Add([]byte(seed), uint8(2), uint8(3), uint8(5))
	}
	f.Fuzz(func(t *testing.T, data []byte, argsLim, bulkLim, cmdLim uint8) {
		limits := fuzzLimits(argsLim, bulkLim, cmdLim)
		if limits.Check() != nil {
			limits.Command = 16
		}
		c := Codec{Limits: limits}
		lim := limits.normalize()
		n, args, err := c.Parse(data, nil)
		if next, nerr := c.Next(data); next != n || nerr != err {
			t.Fatalf("Next = %d, %v; Parse = %d, %v", next, nerr, n, err)
		}
		if err != nil {
			var perr *Error
			if n != 0 || len(args) != 0 || !errors.As(err, &perr) ||
				!errors.Is(err, frame.ErrTooLarge) && !errors.Is(err, frame.ErrBadHeader) {
				t.Fatalf("Parse = %d %q %v: an error comes alone and typed", n, args, err)
			}
			more := append(slices.Clone(data), "\r\n*1\r\n$4\r\nPING\r\n"...)
			if _, _, err2 := c.Parse(more, nil); err2 == nil {
				t.Fatalf("with more bytes behind it the error %v went away", err)
			}
			return
		}
		if n == 0 {
			if len(args) != 0 || len(data) >= c.Max() {
				t.Fatalf("asks for more with %d args and %d bytes held (Max %d)", len(args), len(data), c.Max())
			}
			return
		}
		if n > len(data) || n > c.Max() || len(args) > lim.Args {
			t.Fatalf("Parse = %d with %d args: out of bounds (len %d, %+v)", n, len(args), len(data), lim)
		}
		cmd := data[:n]
		switch {
		case cmd[0] != '*':
			if want := bytes.FieldsFunc(cmd, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) }); !slices.EqualFunc(args, want, bytes.Equal) {
				t.Fatalf("inline %q gave %q, want %q", cmd, args, want)
			}
		case len(args) > 0:
			for _, a := range args {
				if len(a) > lim.Bulk {
					t.Fatalf("argument of %d bytes passed the bulk limit %d", len(a), lim.Bulk)
				}
			}
			if enc := AppendCommand(nil, args...); !bytes.Equal(enc, cmd) {
				t.Fatalf("command %q gave %q, which encodes as %q", cmd, args, enc)
			}
		}
		n2, args2, err := c.Parse(cmd, nil)
		if n2 != n || err != nil || !slices.EqualFunc(args, args2, bytes.Equal) {
			t.Fatalf("the command alone gave %d %q %v, want %d %q", n2, args2, err, n, args)
		}
		for k := range n {
			if nk, ak, err := c.Parse(cmd[:k], nil); nk != 0 || len(ak) != 0 || err != nil {
				t.Fatalf("prefix %q gave %d %q %v, want a request for more", cmd[:k], nk, ak, err)
			}
		}
	})
}

// FuzzPipeline encodes arbitrary arguments as commands, the way clients
// send them, delivers the stream in pieces cut where cuts says, and
// expects every command back whole and in order.
func FuzzPipeline(f *testing.F) {
	f.Add([]byte("SET\x00k\x00v\xffGET\x00k\xff\xffPING"), []byte{1, 5, 0, 9})
	f.Add([]byte("\x00\x00"), []byte{})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		var want [][][]byte
		var stream []byte
		for _, cmd := range bytes.Split(data, []byte{0xff}) {
			args := bytes.Split(cmd, []byte{0})
			want = append(want, args)
			stream = AppendCommand(stream, args...)
		}
		c := Codec{Limits: Limits{Args: len(data) + 1}}
		var got [][][]byte
		var buf []byte
		var args [][]byte
		feed := func(chunk []byte) {
			buf = append(buf, chunk...)
			for {
				n, a, err := c.Parse(buf, args)
				args = a
				if err != nil {
					t.Fatalf("stream %q: %v", stream, err)
				}
				if n == 0 {
					return
				}
				got = append(got, slices.Clone(args))
				buf = buf[n:]
			}
		}
		for _, cut := range cuts {
			k := min(int(cut), len(stream))
			feed(stream[:k])
			stream = stream[k:]
		}
		feed(stream)
		if len(buf) != 0 || !slices.EqualFunc(got, want, func(a, b [][]byte) bool { return slices.EqualFunc(a, b, bytes.Equal) }) {
			t.Fatalf("got %q, left %q; want %q", got, buf, want)
		}
	})
}
