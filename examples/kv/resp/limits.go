package resp

import "fmt"

// Default limits, applied to zero fields of Limits. Redis allows 512 MiB
// bulk strings and a 1 GiB query buffer; an example server has no use for
// either, and these keep a connection's partial input to a few MiB.
const (
	// DefaultArgs is the most arguments one command may have.
	DefaultArgs = 1024
	// DefaultBulk is the largest bulk string, in bytes.
	DefaultBulk = 1 << 20
	// DefaultCommand is the largest command, in bytes, headers and
	// delimiters included.
	DefaultCommand = 2 << 20
	// DefaultInline is the longest inline command, newline included:
	// Redis's PROTO_INLINE_MAX_SIZE.
	DefaultInline = 64 << 10
)

// maxLine bounds a header line: the type byte, a sign, 19 digits (every
// int64) and CRLF fit with room to spare, and a line that runs longer is
// malformed, whatever follows.
const maxLine = 32

// Limits bounds the commands a Codec accepts. Zero fields mean the
// defaults; negative ones are errors caught by Check.
type Limits struct {
	// Args is the most arguments, command name included, one command may
	// have; 0 means DefaultArgs.
	Args int
	// Bulk is the largest bulk string in bytes; 0 means DefaultBulk.
	Bulk int
	// Command bounds a whole command in bytes, array and bulk headers and
	// CRLFs included; 0 means DefaultCommand. It is also the most a
	// connection ever holds of a command in progress.
	Command int
	// Inline bounds an inline command line, newline included; 0 means
	// DefaultInline. It is lowered to Command if it exceeds it.
	Inline int
}

// normalize returns l with defaults in its zero fields.
func (l Limits) normalize() Limits {
	if l.Args <= 0 {
		l.Args = DefaultArgs
	}
	if l.Bulk <= 0 {
		l.Bulk = DefaultBulk
	}
	if l.Command <= 0 {
		l.Command = DefaultCommand
	}
	if l.Inline <= 0 {
		l.Inline = DefaultInline
	}
	l.Inline = min(l.Inline, l.Command)
	return l
}

// Check returns an error naming the first field that is negative, or a
// Command limit too small for the shortest command ("*1\r\n$4\r\nPING\r\n"
// is 14 bytes; 16 leaves room for a header of two digits).
func (l Limits) Check() error {
	switch {
	case l.Args < 0:
		return fmt.Errorf("resp: argument limit %d is negative", l.Args)
	case l.Bulk < 0:
		return fmt.Errorf("resp: bulk limit %d is negative", l.Bulk)
	case l.Command < 0:
		return fmt.Errorf("resp: command limit %d is negative", l.Command)
	case l.Inline < 0:
		return fmt.Errorf("resp: inline limit %d is negative", l.Inline)
	case l.Command > 0 && l.Command < 16:
		return fmt.Errorf("resp: command limit %d is under 16 bytes", l.Command)
	}
	return nil
}
