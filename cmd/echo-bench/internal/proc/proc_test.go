package proc

import (
	"github.com/rawnet/rawnet/internal/cpuset"

	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReadSelf(t *testing.T) {
	a, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	for i := range 200 {
		f, err := os.Open("/proc/self/stat")
		if err != nil {
			t.Fatal(err)
		}
		f.Read(buf[i:])
		f.Close()
	}
	b, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if a.RSS <= 0 || a.HWM < a.RSS || a.Threads < 1 {
		t.Fatalf("status not parsed: %+v", a)
	}
	d := b.Sub(a)
	if d.Syscalls < 200 || d.Wall <= 0 || d.CPU < 0 {
		t.Fatalf("delta after 200 reads: %+v", d)
	}
}

func TestParseStat(t *testing.T) {
	line := []byte("1234 (a (weird) name) S 1 2 3 4 5 6 7 8 9 10 250 150 0 0 20 0 1 0 100 200 300")
	got, err := parseStat(line)
	if err != nil || got != 4*time.Second {
		t.Fatalf("parseStat = %v, %v; want 4s", got, err)
	}
	if _, err := parseStat([]byte("garbage")); err == nil {
		t.Fatal("garbage parsed")
	}
}

func TestStartPinned(t *testing.T) {
	allowed, err := Allowed()
	if err != nil {
		t.Fatal(err)
	}
	cpu := allowed[len(allowed)-1]
	cmd := exec.Command("grep", "Cpus_allowed_list", "/proc/self/status")
	var out strings.Builder
	cmd.Stdout = &out
	if err := StartPinned(cmd, []int{cpu}); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	want := cpuset.Format([]int{cpu})
	if got := out.String(); !strings.Contains(got, "\t"+want+"\n") {
		t.Fatalf("child affinity %q, want %s", got, want)
	}
	after, _ := Allowed()
	if !slices.Equal(after, allowed) {
		t.Fatalf("caller's affinity changed from %v to %v", allowed, after)
	}
}

func TestRaiseNoFile(t *testing.T) {
	got, err := RaiseNoFile(64)
	if err != nil || got < 64 {
		t.Fatalf("RaiseNoFile(64) = %d, %v", got, err)
	}
}

func TestDeltaCPUUtil(t *testing.T) {
	tests := []struct {
		name string
		d    Delta
		want float64
	}{
		{name: "one core busy", d: Delta{Wall: time.Second, CPU: time.Second}, want: 1},
		{name: "a quarter of a core", d: Delta{Wall: 2 * time.Second, CPU: 500 * time.Millisecond}, want: 0.25},
		{name: "two cores", d: Delta{Wall: 100 * time.Millisecond, CPU: 200 * time.Millisecond}, want: 2},
		{name: "no time passed", d: Delta{CPU: time.Second}, want: 0},
	}
	for _, tt := range tests {
		if got := tt.d.CPUUtil(); got != tt.want {
			t.Errorf("%s: CPUUtil() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
