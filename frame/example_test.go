package frame_test

import (
	"errors"
	"fmt"

	"github.com/rawnet/rawnet/frame"
)

// An engine keeps the bytes a connection has buffered and calls Next until
// it reports that no complete frame is left.
func ExampleNew() {
	codec, err := frame.New(frame.Spec{Kind: frame.KindLine, Max: 16})
	if err != nil {
		fmt.Println(err)
		return
	}
	buf := []byte("hello\nworld\npart")
	for {
		n, err := codec.Next(buf)
		if err != nil {
			fmt.Println("close:", err)
			return
		}
		if n == 0 {
			break
		}
		fmt.Printf("frame %q\n", buf[:n])
		buf = buf[n:]
	}
	fmt.Printf("waiting with %q buffered\n", buf)
	// Output:
	// frame "hello\n"
	// frame "world\n"
	// waiting with "part" buffered
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
