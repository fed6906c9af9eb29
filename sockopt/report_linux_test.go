package sockopt

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeProcSys points sysctl at a directory holding the given values and
// restores it at cleanup. Tests using it must not run in parallel.
func fakeProcSys(t *testing.T, values map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, v := range values {
		path := filepath.Join(dir, strings.ReplaceAll(name, ".", "/"))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := procSys
	procSys = dir
	t.Cleanup(func() { procSys = old })
}

func TestSysctl(t *testing.T) {
	fakeProcSys(t, map[string]string{
		"net.core.rmem_max": "212992\n",
		"net.core.wmem_max": "lots\n",
	})
	tests := []struct {
		name    string
		sysctl  string
		want    int
		wantErr string
	}{
		{name: "value", sysctl: "net.core.rmem_max", want: 212992},
		{name: "garbage", sysctl: "net.core.wmem_max", wantErr: "parse sysctl net.core.wmem_max"},
		{name: "missing", sysctl: "net.core.busy_poll", wantErr: "read sysctl net.core.busy_poll"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sysctl(tt.sysctl)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %d, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func TestNewReportClampWarnings(t *testing.T) {
	fakeProcSys(t, map[string]string{
		"net.core.rmem_max": "212992\n",
		"net.core.wmem_max": "425984\n",
	})
	tests := []struct {
		name string
		req  Options
		g    Granted
		want []string // substrings, one slice entry per expected warning, in order
	}{
		{
			name: "rcvbuf clamped",
			req:  Options{RecvBuf: 1 << 20},
			g:    Granted{RecvBuf: 425984, SendBuf: 16384},
			want: []string{"SO_RCVBUF asked 1048576 bytes but the kernel granted 425984, less than the doubled 2097152 " +
				"socket(7) describes: clamped by net.core.rmem_max=212992; set ForceBuf as root (CAP_NET_ADMIN) " +
				"or raise it with sysctl -w net.core.rmem_max=1048576"},
		},
		{
			name: "both clamped",
			req:  Options{RecvBuf: 1 << 20, SendBuf: 1 << 20},
			g:    Granted{RecvBuf: 425984, SendBuf: 851968},
			want: []string{"net.core.rmem_max=212992", "SO_SNDBUF asked 1048576 bytes but the kernel granted 851968"},
		},
		{
			name: "sndbuf one byte short",
			req:  Options{SendBuf: 500000},
			g:    Granted{SendBuf: 999999},
			want: []string{"clamped by net.core.wmem_max=425984"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReport(tt.req, tt.g)
			if len(r.Warnings) != len(tt.want) {
				t.Fatalf("warnings %q, want %d", r.Warnings, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(r.Warnings[i], w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, r.Warnings[i], w)
				}
			}
		})
	}
}

func TestNewReportUnreadableSysctl(t *testing.T) {
	fakeProcSys(t, nil)
	r := NewReport(Options{RecvBuf: 1 << 20}, Granted{RecvBuf: 4096})
	if len(r.Warnings) != 1 {
		t.Fatalf("warnings %q, want one", r.Warnings)
	}
	for _, want := range []string{"SO_RCVBUF asked 1048576", "net.core.rmem_max, which could not be read", "ForceBuf"} {
		if !strings.Contains(r.Warnings[0], want) {
			t.Errorf("warning %q does not contain %q", r.Warnings[0], want)
		}
	}
}

// TestClampReportedEndToEnd asks a real socket for more than rmem_max and
// checks that the report names the sysctl's current value.
func TestClampReportedEndToEnd(t *testing.T) {
	max := readSysctl(t, "net.core.rmem_max")
	req := 2 * max
	if req > forceableMax {
		t.Skipf("net.core.rmem_max=%d leaves no room to ask for more", max)
	}
	opts := Options{RecvBuf: req}
	fd := udpSocket(t)
	if err := opts.ApplyListener(fd); err != nil {
		t.Fatal(err)
	}
	g, err := Read(fd)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReport(opts, g)
	if len(r.Warnings) != 1 {
		t.Fatalf("warnings %q, want one about rmem_max", r.Warnings)
	}
	if want := "clamped by net.core.rmem_max=" + strconv.Itoa(max); !strings.Contains(r.Warnings[0], want) {
		t.Errorf("warning %q does not contain %q", r.Warnings[0], want)
	}
	if want := "rcvbuf=" + strconv.Itoa(req) + "/" + strconv.Itoa(2*max) + " "; !strings.HasPrefix(r.String(), want) {
		t.Errorf("String() = %q, want prefix %q", r.String(), want)
	}
}
