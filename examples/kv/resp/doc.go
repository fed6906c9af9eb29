// Package resp reads the commands Redis clients send and writes the
// replies they expect: the RESP2 subset that redis-cli, redis-benchmark
// and client libraries such as go-redis use for plain commands.
//
// A command arrives either as an array of bulk strings,
//
//	*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n
//
// which is what every client library sends, or as an inline line of
// words separated by spaces, "PING\r\n", which is what a person types
// into nc or telnet. Codec finds where the first command in a buffer ends
// and, with Parse, returns its arguments as sub-slices of that buffer; it
// is pure, as frame codecs are (a Codec is a frame.Codec), so it may be
// called after every read without trusting the peer. Its Limits bound
// the arguments, each bulk string and the whole command, and are checked
// against the sizes a peer declares before the bytes arrive: a peer that
// declares a 4 GiB bulk string gets an error at once, not a 4 GiB buffer.
//
// The Append functions write replies onto a caller's buffer, so that a
// server can gather the replies of a pipeline in one reusable buffer and
// send them with one write.
//
// Inline commands have no quoting: "SET k 'a b'" is four words, where
// Redis would read three.
package resp
