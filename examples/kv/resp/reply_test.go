package resp

import "testing"

func TestAppend(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{name: "simple", got: AppendSimple(nil, "OK"), want: "+OK\r\n"},
		{name: "error", got: AppendError(nil, "ERR unknown command 'x'"), want: "-ERR unknown command 'x'\r\n"},
		{name: "error keeps one line", got: AppendError(nil, "ERR a\r\nb"), want: "-ERR a  b\r\n"},
		{name: "int", got: AppendInt(nil, -42), want: ":-42\r\n"},
		{name: "bulk", got: AppendBulk(nil, []byte("foo")), want: "$3\r\nfoo\r\n"},
		{name: "empty bulk", got: AppendBulk(nil, nil), want: "$0\r\n\r\n"},
		{name: "bulk string", got: AppendBulkString(nil, "hi"), want: "$2\r\nhi\r\n"},
		{name: "null", got: AppendNull(nil), want: "$-1\r\n"},
		{name: "array", got: AppendArray(nil, 2), want: "*2\r\n"},
		{name: "command", got: AppendCommand(nil, "GET", "k"), want: "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"},
		{name: "appends", got: AppendSimple([]byte("+PONG\r\n"), "OK"), want: "+PONG\r\n+OK\r\n"},
	}
	for _, tt := range tests {
		if string(tt.got) != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
