package frame_test

import (
	"errors"
	"fmt"

	"github.com/rawnet/rawnet/frame"
)

// An engine keeps the bytes a connection has buffered, cuts the complete
// frames off the front with Scan after every read, echoes them in one
// write and keeps the rest for the next read.
func ExampleScan() {
	codec, err := frame.New(frame.Spec{Kind: frame.KindLine, Max: 8})
	if err != nil {
		fmt.Println(err)
		return
	}
	buf := []byte("hello\nworld\npart")
	n, frames, err := frame.Scan(codec, buf)
	fmt.Printf("%d frames %q, waiting with %q buffered, %v\n", frames, buf[:n], buf[n:], err)

	// A bad frame ends the stream; the frames before it are still good.
	buf = []byte("ok\nthis line is too long\n")
	n, frames, err = frame.Scan(codec, buf)
	fmt.Printf("%d frame %q, then %v\n", frames, buf[:n], err)
	// Output:
	// 2 frames "hello\nworld\n", waiting with "part" buffered, <nil>
	// 1 frame "ok\n", then frame: frame exceeds limit: no newline in 8 bytes
}

// A datagram is echoed only if it is exactly one frame.
func ExampleOne() {
	codec := frame.Length{HeaderBytes: 1, Limit: 16}
	fmt.Println(frame.One(codec, []byte("\x02hi")))
	fmt.Println(frame.One(codec, []byte("\x02hi!")))
	// Output:
	// 3 <nil>
	// 3 frame: not exactly one frame
}

// New names the field that is out of range.
func ExampleNew_error() {
	_, err := frame.New(frame.Spec{Kind: frame.KindLength, LengthBytes: 3})
	fmt.Println(err)
	// Output:
	// frame: length header of 3 bytes: want 1, 2, 4 or 8
}

// A length header is judged as soon as it is complete: a peer declaring
// 4 GiB is refused before it sends a byte of payload.
func ExampleLength_Next() {
	codec := frame.Length{HeaderBytes: 4, Limit: frame.DefaultMax}

	n, err := codec.Next([]byte{0, 0, 0, 5, 'h', 'e'})
	fmt.Println(n, err)

	n, err = codec.Next([]byte{0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'})
	fmt.Println(n, err)

	_, err = codec.Next([]byte{0xff, 0xff, 0xff, 0xff})
	fmt.Println(errors.Is(err, frame.ErrTooLarge), err)
	// Output:
	// 0 <nil>
	// 9 <nil>
	// true frame: frame exceeds limit: declared length 4294967295, limit 65532
}

// A line longer than the limit is refused once Limit bytes are buffered
// without a newline, so a peer that never ends its line costs at most Limit.
func ExampleLine_Next() {
	codec := frame.Line{Limit: 8}
	fmt.Println(codec.Next([]byte("ok\n")))
	fmt.Println(codec.Next([]byte("no newline")))
	// Output:
	// 3 <nil>
	// 0 frame: frame exceeds limit: no newline in 8 bytes
}

func ExampleFixed_Next() {
	codec := frame.Fixed{Size: 4}
	fmt.Println(codec.Next([]byte("abc")))
	fmt.Println(codec.Next([]byte("abcdef")))
	// Output:
	// 0 <nil>
	// 4 <nil>
}

func ExampleRaw_Next() {
	codec := frame.Raw{Limit: 4}
	fmt.Println(codec.Next([]byte("ab")))
	fmt.Println(codec.Next([]byte("abcdef")))
	// Output:
	// 2 <nil>
	// 4 <nil>
}
