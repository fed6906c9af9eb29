package resp

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rawnet/rawnet/frame"
)

// strs turns arguments into strings for comparison and messages.
func strs(args [][]byte) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

func TestParse(t *testing.T) {
	small := Limits{Args: 3, Bulk: 8, Command: 64, Inline: 20}
	tests := []struct {
		name     string
		in       string
		limits   Limits
		wantN    int
		wantArgs []string
		wantErr  error
	}{
		{name: "empty buffer", in: "", wantN: 0},
		{name: "array", in: "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", wantN: 22, wantArgs: []string{"GET", "key"}},
		{name: "array then more", in: "*1\r\n$4\r\nPING\r\n*1\r\n", wantN: 14, wantArgs: []string{"PING"}},
		{name: "empty bulk", in: "*2\r\n$3\r\nSET\r\n$0\r\n\r\n", wantN: 19, wantArgs: []string{"SET", ""}},
		{name: "binary bulk", in: "*1\r\n$4\r\n\r\n\x00\n\r\n", wantN: 14, wantArgs: []string{"\r\n\x00\n"}},
		{name: "zero count is an empty command", in: "*0\r\n", wantN: 4},
		{name: "negative count is an empty command", in: "*-1\r\n", wantN: 5},
		{name: "incomplete count", in: "*2\r", wantN: 0},
		{name: "incomplete bulk header", in: "*2\r\n$3", wantN: 0},
		{name: "incomplete bulk", in: "*1\r\n$4\r\nPI", wantN: 0},
		{name: "bulk without its CRLF yet", in: "*1\r\n$4\r\nPING\r", wantN: 0},
		{name: "inline", in: "PING\r\n", wantN: 6, wantArgs: []string{"PING"}},
		{name: "inline LF only", in: "set  k\tv\n", wantN: 9, wantArgs: []string{"set", "k", "v"}},
		{name: "inline blank line", in: " \r\n", wantN: 3},
		{name: "inline incomplete", in: "PING", wantN: 0},
		{name: "inline has no quoting", in: "SET k 'a b'\n", wantN: 12, wantArgs: []string{"SET", "k", "'a", "b'"}},

		{name: "count not a number", in: "*x\r\n", wantErr: ErrMultibulkLength},
		{name: "count with plus", in: "*+1\r\n", wantErr: ErrMultibulkLength},
		{name: "count with leading zero", in: "*01\r\n", wantErr: ErrMultibulkLength},
		{name: "count minus zero", in: "*-0\r\n", wantErr: ErrMultibulkLength},
		{name: "count empty", in: "*\r\n", wantErr: ErrMultibulkLength},
		{name: "count CR without LF", in: "*1\rx", wantErr: ErrMultibulkLength},
		{name: "count line never ends", in: "*" + strings.Repeat("1", 40), wantErr: ErrMultibulkLength},
		{name: "count past int64", in: "*99999999999999999999\r\n", wantErr: ErrMultibulkLength},
		{name: "element not bulk", in: "*1\r\n:1\r\n", wantErr: ErrExpectedBulk},
		{name: "bulk length negative", in: "*1\r\n$-1\r\n", wantErr: ErrBulkLength},
		{name: "bulk length garbage", in: "*1\r\n$1x\r\n", wantErr: ErrBulkLength},
		{name: "bulk longer than declared", in: "*1\r\n$1\r\nab\r\n", wantErr: ErrBulkEnd},
		{name: "too many declared", in: "*4\r\n", limits: small, wantErr: ErrTooManyArgs},
		{name: "default args limit", in: "*1025\r\n", wantErr: ErrTooManyArgs},
		{name: "bulk over limit", in: "*1\r\n$9\r\n", limits: small, wantErr: ErrBulkTooLarge},
		{name: "huge bulk at once", in: "*1\r\n$4294967296\r\n", wantErr: ErrBulkTooLarge},
		{name: "command over limit", in: "*3\r\n$8\r\naaaaaaaa\r\n$8\r\nbbbbbbbb\r\n$8\r\n", limits: Limits{Command: 40}, wantErr: ErrCommandTooLarge},
		{name: "inline over limit", in: strings.Repeat("a", 20), limits: small, wantErr: ErrInlineTooLong},
		{name: "inline too many words", in: "a b c d\n", limits: small, wantErr: ErrTooManyArgs},
		{name: "inline at limit", in: strings.Repeat("a", 19) + "\n", limits: small, wantN: 20, wantArgs: []string{strings.Repeat("a", 19)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Codec{Limits: tt.limits}
			n, args, err := c.Parse([]byte(tt.in), nil)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Parse(%q) error %v, want %v", tt.in, err, tt.wantErr)
			}
			if n != tt.wantN || !slices.Equal(strs(args), tt.wantArgs) && len(args)+len(tt.wantArgs) > 0 {
				t.Fatalf("Parse(%q) = %d %q, want %d %q", tt.in, n, strs(args), tt.wantN, tt.wantArgs)
			}
			if next, nerr := c.Next([]byte(tt.in)); next != n || nerr != err {
				t.Fatalf("Next(%q) = %d, %v; Parse said %d, %v", tt.in, next, nerr, n, err)
			}
		})
	}
}

func TestErrorsWrapFrameErrors(t *testing.T) {
	tests := []struct {
		err  *Error
		kind error
	}{
		{err: ErrMultibulkLength, kind: frame.ErrBadHeader},
		{err: ErrExpectedBulk, kind: frame.ErrBadHeader},
		{err: ErrBulkLength, kind: frame.ErrBadHeader},
		{err: ErrBulkEnd, kind: frame.ErrBadHeader},
		{err: ErrTooManyArgs, kind: frame.ErrTooLarge},
		{err: ErrBulkTooLarge, kind: frame.ErrTooLarge},
		{err: ErrCommandTooLarge, kind: frame.ErrTooLarge},
		{err: ErrInlineTooLong, kind: frame.ErrTooLarge},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.kind) {
			t.Errorf("%v does not wrap %v", tt.err, tt.kind)
		}
		if !strings.HasPrefix(tt.err.Error(), "resp: ") {
			t.Errorf("%q lacks the package prefix", tt.err.Error())
		}
	}
}

// A command must parse the same however it is cut: every proper prefix
// asks for more, the whole command parses, and bytes after it change
// nothing.
func TestParseEverySplitPoint(t *testing.T) {
	commands := [][]byte{
		AppendCommand(nil, "SET", "key:__rand_int__", "xxx"),
		AppendCommand(nil, "MGET", "a", "", "c"),
		AppendCommand(nil, "PING"),
		[]byte("*0\r\n"),
		[]byte("GET  key \r\n"),
		[]byte("\n"),
	}
	var c Codec
	for _, cmd := range commands {
		wantN, want, err := c.Parse(cmd, nil)
		if err != nil || wantN != len(cmd) {
			t.Fatalf("Parse(%q) = %d, %v; want %d, nil", cmd, wantN, err, len(cmd))
		}
		want = slices.Clone(want)
		for k := range len(cmd) {
			if n, args, err := c.Parse(cmd[:k], nil); n != 0 || err != nil || len(args) != 0 {
				t.Errorf("Parse(%q) = %d %q %v: want a request for more", cmd[:k], n, strs(args), err)
			}
		}
		joined := append(slices.Clone(cmd), cmd...)
		n, args, err := c.Parse(joined, nil)
		if err != nil || n != len(cmd) || !slices.EqualFunc(args, want, bytes.Equal) {
			t.Errorf("Parse(%q) = %d %q %v, want %d %q", joined, n, strs(args), err, len(cmd), strs(want))
		}
	}
}

// A pipeline fed in pieces of every size gives the same commands as fed
// whole.
func TestParsePipelineInPieces(t *testing.T) {
	var stream []byte
	for range 3 {
		stream = AppendCommand(stream, "SET", "k", "v")
		stream = AppendCommand(stream, "GET", "k")
		stream = append(stream, "PING\r\n"...)
	}
	want := []string{"SET k v", "GET k", "PING", "SET k v", "GET k", "PING", "SET k v", "GET k", "PING"}
	var c Codec
	for size := 1; size <= len(stream); size++ {
		var got []string
		var buf []byte
		var args [][]byte
		for off := 0; off < len(stream); off += size {
			buf = append(buf, stream[off:min(off+size, len(stream))]...)
			for {
				n, a, err := c.Parse(buf, args)
				args = a
				if err != nil {
					t.Fatalf("pieces of %d: %v", size, err)
				}
				if n == 0 {
					break
				}
				got = append(got, strings.Join(strs(args), " "))
				buf = buf[n:]
			}
		}
		if !slices.Equal(got, want) || len(buf) != 0 {
			t.Fatalf("pieces of %d: %q, left %q; want %q", size, got, buf, want)
		}
	}
}

// Declared sizes cost nothing until their bytes arrive: a peer that
// announces a million arguments or a 1 MiB bulk string makes Parse
// allocate nothing and hold nothing.
func TestParseAllocatesNoDeclaredSize(t *testing.T) {
	var c Codec
	args := make([][]byte, 0, 4)
	for _, in := range [][]byte{[]byte("*1024\r\n$1048576\r\n"), []byte("*1024\r\n$1\r\na\r\n$1\r\nb\r\n")} {
		allocs := testing.AllocsPerRun(100, func() {
			n, a, err := c.Parse(in, args)
			if n != 0 || err != nil {
				t.Fatalf("Parse(%q) = %d, %v: want a request for more", in, n, err)
			}
			args = a
		})
		if allocs != 0 || cap(args) > 4 {
			t.Errorf("Parse(%q): %v allocations, args grown to %d", in, allocs, cap(args))
		}
	}
}

func TestLimitsCheck(t *testing.T) {
	tests := []struct {
		name   string
		limits Limits
		ok     bool
	}{
		{name: "zero means defaults", limits: Limits{}, ok: true},
		{name: "negative args", limits: Limits{Args: -1}},
		{name: "negative bulk", limits: Limits{Bulk: -1}},
		{name: "negative command", limits: Limits{Command: -1}},
		{name: "negative inline", limits: Limits{Inline: -1}},
		{name: "command too small", limits: Limits{Command: 15}},
		{name: "small but usable", limits: Limits{Args: 1, Bulk: 1, Command: 16, Inline: 1}, ok: true},
	}
	for _, tt := range tests {
		if err := tt.limits.Check(); (err == nil) != tt.ok {
			t.Errorf("%s: Check() = %v", tt.name, err)
		}
	}
	if got := (Codec{}).Max(); got != DefaultCommand {
		t.Errorf("zero Codec Max() = %d, want %d", got, DefaultCommand)
	}
	if got := (Codec{Limits: Limits{Command: 100, Inline: 1000}}).Limits.normalize().Inline; got != 100 {
		t.Errorf("Inline over Command normalized to %d, want 100", got)
	}
}
