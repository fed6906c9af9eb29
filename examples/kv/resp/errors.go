package resp

import "github.com/rawnet/rawnet/frame"

// Error is a protocol error: bytes that can never become a valid command,
// so the connection that sent them should be closed. It wraps
// frame.ErrTooLarge when a limit was passed and frame.ErrBadHeader when
// the bytes are malformed, so code that handles any frame.Codec can tell
// the two apart. Codec returns only the sentinels below, which are
// compared by identity (errors.Is) and cost no allocation to return.
type Error struct {
	// Reason is the message Redis would print after "Protocol error: ",
	// such as "invalid bulk length".
	Reason string
	kind   error
}

// Error returns the reason with the package prefix.
func (e *Error) Error() string { return "resp: " + e.Reason }

// Unwrap returns frame.ErrTooLarge or frame.ErrBadHeader.
func (e *Error) Unwrap() error { return e.kind }

// Malformed input. The reasons are Redis's own words where Redis has
// words for them (networking.c, processMultibulkBuffer and
// processInlineBuffer), so that a client sees the same message from this
// server as from Redis.
var (
	// ErrMultibulkLength reports an array header that is not "*" and a
	// decimal count followed by CRLF.
	ErrMultibulkLength = &Error{Reason: "invalid multibulk length", kind: frame.ErrBadHeader}
	// ErrExpectedBulk reports an array element that is not a bulk string.
	ErrExpectedBulk = &Error{Reason: "expected '$'", kind: frame.ErrBadHeader}
	// ErrBulkLength reports a bulk header that is not "$" and a decimal
	// length of 0 or more followed by CRLF.
	ErrBulkLength = &Error{Reason: "invalid bulk length", kind: frame.ErrBadHeader}
	// ErrBulkEnd reports a bulk string not followed by CRLF: its
	// declared length was wrong. Redis skips the two bytes unchecked.
	ErrBulkEnd = &Error{Reason: "bulk string not followed by CRLF", kind: frame.ErrBadHeader}
)

// Input over a limit of Limits.
var (
	// ErrTooManyArgs reports a command with more than Limits.Args
	// arguments, declared or, for an inline command, present.
	ErrTooManyArgs = &Error{Reason: "too many arguments", kind: frame.ErrTooLarge}
	// ErrBulkTooLarge reports a bulk string declared longer than
	// Limits.Bulk.
	ErrBulkTooLarge = &Error{Reason: "bulk length over limit", kind: frame.ErrTooLarge}
	// ErrCommandTooLarge reports a command that would pass Limits.Command
	// bytes, header and delimiters included.
	ErrCommandTooLarge = &Error{Reason: "command over size limit", kind: frame.ErrTooLarge}
	// ErrInlineTooLong reports an inline command with no newline within
	// Limits.Inline bytes.
	ErrInlineTooLong = &Error{Reason: "too big inline request", kind: frame.ErrTooLarge}
)
