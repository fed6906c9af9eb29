package resp

import "bytes"

// parse is Parse, collecting arguments only if keep is set, so that Next
// shares the one implementation without building a slice it would drop.
// On n == 0 it returns args truncated, its capacity kept for reuse.
func (c Codec) parse(buf []byte, args [][]byte, keep bool) (int, [][]byte, error) {
	if len(buf) == 0 {
		return 0, args, nil
	}
	l := c.Limits.normalize()
	var n int
	var err error
	if buf[0] == '*' {
		n, args, err = multibulk(buf, args, keep, l)
	} else {
		n, args, err = inline(buf, args, keep, l)
	}
	switch {
	case err != nil:
		return 0, args[:0], err
	case n == 0 && len(buf) >= l.Command:
		// Every declared size was checked against Command as it was
		// read, but a command may still run out of room between
		// declarations, in a header line; waiting for more would hold
		// more than Command bytes.
		return 0, args[:0], ErrCommandTooLarge
	case n == 0:
		return 0, args[:0], nil
	}
	return n, args, nil
}

// multibulk reads an array of bulk strings, the form every client library
// sends. Each size is checked against the limits when its header is
// read, before the bytes it announces arrive.
func multibulk(buf []byte, args [][]byte, keep bool, l Limits) (int, [][]byte, error) {
	count, pos, err := header(buf, 0, ErrMultibulkLength)
	if err != nil || pos == 0 {
		return 0, args, err
	}
	if count > int64(l.Args) {
		return 0, args, ErrTooManyArgs
	}
	if pos > l.Command {
		return 0, args, ErrCommandTooLarge
	}
	// A count of zero or less is an empty command, which Redis skips
	// (networking.c, processMultibulkBuffer): the loop does not run.
	for ; count > 0; count-- {
		if pos >= len(buf) {
			return 0, args, nil
		}
		if buf[pos] != '$' {
			return 0, args, ErrExpectedBulk
		}
		size, start, err := header(buf, pos, ErrBulkLength)
		if err != nil || start == 0 {
			return 0, args, err
		}
		if size < 0 {
			return 0, args, ErrBulkLength
		}
		if size > int64(l.Bulk) {
			return 0, args, ErrBulkTooLarge
		}
		end := start + int(size) + 2
		if end > l.Command {
			return 0, args, ErrCommandTooLarge
		}
		if end > len(buf) {
			return 0, args, nil
		}
		if buf[end-2] != '\r' || buf[end-1] != '\n' {
			return 0, args, ErrBulkEnd
		}
		if keep {
			args = append(args, buf[start:end-2:end-2])
		}
		pos = end
	}
	return pos, args, nil
}

// header reads the header line that starts at buf[pos] with a type byte
// the caller has checked ('*' or '$'): a decimal integer and CRLF. It
// returns the integer and the offset after the CRLF; next == 0 means the
// line is still incomplete. A line that is not a canonical integer, or
// finds no CR within maxLine bytes, is reported as bad.
func header(buf []byte, pos int, bad *Error) (v int64, next int, err error) {
	end := min(len(buf), pos+maxLine)
	i := bytes.IndexByte(buf[pos+1:end], '\r')
	if i < 0 {
		if end-pos >= maxLine {
			return 0, 0, bad
		}
		return 0, 0, nil
	}
	cr := pos + 1 + i
	if cr+1 >= len(buf) {
		return 0, 0, nil
	}
	if buf[cr+1] != '\n' {
		return 0, 0, bad
	}
	v, ok := atoi(buf[pos+1 : cr])
	if !ok {
		return 0, 0, bad
	}
	return v, cr + 2, nil
}

// atoi parses a decimal integer written the one way Redis's string2ll
// accepts (util.c): an optional '-', then digits without leading zeros,
// and "0" alone; no '+', no spaces, no "-0". Values past 18 digits are
// refused too: no limit comes near them, and int64 cannot overflow.
func atoi(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	if b[0] == '0' {
		return 0, len(b) == 1 && !neg
	}
	var v int64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		v = v*10 + int64(ch-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// inline reads a command typed as a line of words, as from nc or telnet.
// The line ends with '\n'; a '\r' before it is white space like any
// other. There is no quoting.
func inline(buf []byte, args [][]byte, keep bool, l Limits) (int, [][]byte, error) {
	i := bytes.IndexByte(buf[:min(len(buf), l.Inline)], '\n')
	if i < 0 {
		if len(buf) >= l.Inline {
			return 0, args, ErrInlineTooLong
		}
		return 0, args, nil
	}
	line := buf[:i]
	words := 0
	for j := 0; j < len(line); {
		for j < len(line) && isSpace(line[j]) {
			j++
		}
		if j == len(line) {
			break
		}
		k := j
		for k < len(line) && !isSpace(line[k]) {
			k++
		}
		if words++; words > l.Args {
			return 0, args, ErrTooManyArgs
		}
		if keep {
			args = append(args, line[j:k:k])
		}
		j = k
	}
	return i + 1, args, nil
}

// isSpace reports the bytes C's isspace accepts, which is how Redis
// splits an inline command (sds.c, sdssplitargs).
func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\r' || b == '\v' || b == '\f' || b == '\n'
}
