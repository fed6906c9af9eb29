package sockopt

import (
	"encoding/json"
	"fmt"
	"regexp"
	"testing"
)

func TestReportString(t *testing.T) {
	tests := []struct {
		name string
		r    Report
		want string
	}{
		{
			name: "documented example",
			r: Report{
				Requested: Options{RecvBuf: 65536},
				Granted:   Granted{RecvBuf: 131072, SendBuf: 16384, NoDelay: true, ReuseAddr: true},
			},
			want: "rcvbuf=65536/131072 sndbuf=default/16384 nodelay=on reuseaddr=on reuseport=off keepalive=off",
		},
		{
			name: "zero report",
			r:    Report{},
			want: "rcvbuf=default/0 sndbuf=default/0 nodelay=off reuseaddr=off reuseport=off keepalive=off",
		},
		{
			name: "everything on",
			r: Report{
				Requested: Options{RecvBuf: 1 << 20, SendBuf: 1 << 21, ReusePort: true},
				Granted:   Granted{RecvBuf: 2 << 20, SendBuf: 2 << 21, NoDelay: true, ReuseAddr: true, ReusePort: true, KeepAlive: true},
			},
			want: "rcvbuf=1048576/2097152 sndbuf=2097152/4194304 nodelay=on reuseaddr=on reuseport=on keepalive=on",
		},
		{
			// Flags print what was granted, not what was asked.
			name: "granted wins over requested",
			r: Report{
				Requested: Options{ReusePort: true, Nagle: true},
				Granted:   Granted{RecvBuf: 4608, SendBuf: 4608, NoDelay: true},
			},
			want: "rcvbuf=default/4608 sndbuf=default/4608 nodelay=on reuseaddr=off reuseport=off keepalive=off",
		},
		{
			name: "warnings stay off the line",
			r: Report{
				Requested: Options{RecvBuf: 100},
				Granted:   Granted{RecvBuf: 2304},
				Warnings:  []string{"a warning"},
			},
			want: "rcvbuf=100/2304 sndbuf=default/0 nodelay=off reuseaddr=off reuseport=off keepalive=off",
		},
	}
	shape := regexp.MustCompile(`^rcvbuf=(default|\d+)/\d+ sndbuf=(default|\d+)/\d+ nodelay=(on|off) reuseaddr=(on|off) reuseport=(on|off) keepalive=(on|off)$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.r.String()
			if got != tt.want {
				t.Errorf("String() =\n  %q\nwant\n  %q", got, tt.want)
			}
			if !shape.MatchString(got) {
				t.Errorf("String() = %q does not have the documented shape", got)
			}
		})
	}
}

func TestNewReportNoWarningWhenGranted(t *testing.T) {
	tests := []struct {
		name string
		req  Options
		g    Granted
	}{
		{name: "defaults", req: Options{}, g: Granted{RecvBuf: 131072, SendBuf: 16384}},
		{name: "doubled exactly", req: Options{RecvBuf: 65536, SendBuf: 8192}, g: Granted{RecvBuf: 131072, SendBuf: 16384}},
		{name: "raised to the minimum", req: Options{RecvBuf: 1, SendBuf: 1}, g: Granted{RecvBuf: 2304, SendBuf: 4608}},
		{name: "forced and doubled", req: Options{RecvBuf: 1 << 24, ForceBuf: true}, g: Granted{RecvBuf: 1 << 25}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReport(tt.req, tt.g)
			if len(r.Warnings) != 0 {
				t.Errorf("warnings %q, want none", r.Warnings)
			}
			if r.Requested != tt.req || r.Granted != tt.g {
				t.Errorf("report %+v does not carry its inputs", r)
			}
		})
	}
}

func TestNewReportForcedShortfall(t *testing.T) {
	// SO_RCVBUFFORCE of 1 GiB is capped at INT_MAX/2 before doubling.
	r := NewReport(Options{RecvBuf: 1 << 30, ForceBuf: true}, Granted{RecvBuf: 2147483646, SendBuf: 16384})
	if len(r.Warnings) != 1 {
		t.Fatalf("warnings %q, want one", r.Warnings)
	}
	want := regexp.MustCompile(`^SO_RCVBUFFORCE asked 1073741824 bytes but the kernel granted 2147483646, .*INT_MAX/2`)
	if !want.MatchString(r.Warnings[0]) {
		t.Errorf("warning %q does not match %v", r.Warnings[0], want)
	}
}

func TestReportJSON(t *testing.T) {
	r := Report{Granted: Granted{RecvBuf: 1, NoDelay: true}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back) != fmt.Sprint(r) {
		t.Errorf("JSON round trip: %v, want %v", back, r)
	}
}

func ExampleReport_String() {
	r := NewReport(
		Options{RecvBuf: 65536},
		Granted{RecvBuf: 131072, SendBuf: 16384, NoDelay: true, ReuseAddr: true},
	)
	fmt.Println(r)
	fmt.Println(len(r.Warnings), "warnings")
	// Output:
	// rcvbuf=65536/131072 sndbuf=default/16384 nodelay=on reuseaddr=on reuseport=off keepalive=off
	// 0 warnings
}
