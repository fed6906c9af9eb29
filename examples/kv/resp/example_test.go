package resp_test

import (
	"fmt"

	"github.com/rawnet/rawnet/examples/kv/resp"
)

// A server parses every complete command in what a connection has
// buffered, appends each reply to one buffer, and keeps the incomplete
// rest for the next read.
func ExampleCodec_Parse() {
	var c resp.Codec
	buf := []byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*1\r\n$4\r\nEC")
	var args [][]byte
	var out []byte
	for {
		n, a, err := c.Parse(buf, args)
		args = a
		if err != nil {
			out = resp.AppendError(out, "ERR Protocol error: "+err.(*resp.Error).Reason)
			break
		}
		if n == 0 {
			break
		}
		fmt.Printf("%q\n", args)
		out = resp.AppendSimple(out, "OK")
		buf = buf[n:]
	}
	fmt.Printf("replies %q, waiting with %q\n", out, buf)
	// Output:
	// ["GET" "k"]
	// ["PING"]
	// replies "+OK\r\n+OK\r\n", waiting with "*1\r\n$4\r\nEC"
}

// A declared size over the limit is refused when its header arrives.
func ExampleCodec_Next() {
	c := resp.Codec{Limits: resp.Limits{Bulk: 1024}}
	fmt.Println(c.Next([]byte("*1\r\n$1048576\r\n")))
	// Output: 0 resp: bulk length over limit
}
