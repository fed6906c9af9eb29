package resp

import "github.com/rawnet/rawnet/frame"

// Codec cuts RESP commands off the front of a buffer. Its zero value uses
// the default Limits. It keeps no state between calls, so one Codec may
// serve every connection of every loop at once.
type Codec struct {
	// Limits bounds each command; zero fields mean the defaults.
	Limits Limits
}

// A Codec is a frame.Codec: a command is a frame.
var _ frame.Codec = Codec{}

// Parse reads the command at the start of buf. It returns n, the length
// of that command in bytes, and args, its arguments appended to
// args[:0]: the command name first, then its parameters. Each argument is
// a sub-slice of buf, capped at its own length so that appending to it
// cannot overwrite what follows; it is valid for as long as buf is.
//
// n == 0 with a nil error means buf holds no complete command yet: call
// again once more bytes have arrived behind it. A non-nil error, always
// one of this package's *Error sentinels, means the stream can never
// become valid; reply and close the connection. A command with no
// arguments (an empty inline line, or an array of zero or fewer
// elements) has n > 0 and no args, and Redis ignores it.
//
// Parse grows args only as arguments actually arrive, never to a count a
// peer declared, so reusing args across calls makes it allocation-free.
// Parse keeps no reference to buf or args.
func (c Codec) Parse(buf []byte, args [][]byte) (n int, _ [][]byte, err error) {
	return c.parse(buf, args[:0], true)
}

// Next returns the length of the command at the start of buf, 0 if it is
// incomplete, or an *Error. It never waits for more than Max() bytes.
func (c Codec) Next(buf []byte) (int, error) {
	n, _, err := c.parse(buf, nil, false)
	return n, err
}

// Max returns Limits.Command, or DefaultCommand if it is zero.
func (c Codec) Max() int { return c.Limits.normalize().Command }

// String returns "resp".
func (c Codec) String() string { return "resp" }
