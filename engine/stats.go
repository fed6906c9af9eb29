package engine

// Stats is a snapshot of a server's counters.
type Stats struct {
	// Accepted counts TCP connections accepted, including rejected ones.
	Accepted uint64 `json:"accepted"`
	// Active is the number of TCP connections open now.
	Active int64 `json:"active"`
	// Frames counts frames (or datagrams) echoed.
	Frames uint64 `json:"frames"`
	// BytesIn and BytesOut count payload bytes read and written.
	BytesIn  uint64 `json:"bytes_in"`
	BytesOut uint64 `json:"bytes_out"`
	// Errors counts failures by kind.
	Errors ErrorStats `json:"errors"`
}

// ErrorStats counts failures by kind.
type ErrorStats struct {
	// Frame counts connections closed, or datagrams dropped, for bad
	// framing: a frame over the limit or a bad header.
	Frame uint64 `json:"frame"`
	// Truncated counts UDP datagrams dropped because they did not fit the
	// receive buffer.
	Truncated uint64 `json:"truncated"`
	// RateLimited counts UDP datagrams dropped, never echoed, because
	// their source was over Config.UDPRateLimit.
	RateLimited uint64 `json:"rate_limited"`
	// Rejected counts connections closed at once because MaxConns was
	// reached.
	Rejected uint64 `json:"rejected"`
	// Idle counts connections closed by the idle timeout.
	Idle uint64 `json:"idle"`
	// WriteTimeout counts connections closed because output made no
	// progress within the write timeout.
	WriteTimeout uint64 `json:"write_timeout"`
	// IO counts connections ended by a read or write error such as
	// ECONNRESET or EPIPE.
	IO uint64 `json:"io"`
	// Accept counts failed accept calls, such as EMFILE.
	Accept uint64 `json:"accept"`
	// Backpressure counts the times reading a connection was paused
	// because its output passed the write limit.
	Backpressure uint64 `json:"backpressure"`
}
