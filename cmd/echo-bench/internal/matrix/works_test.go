package matrix

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rawnet/rawnet/cmd/echo-bench/internal/cref"
	"github.com/rawnet/rawnet/cmd/echo-bench/internal/server/servertest"
)

// workBin returns servertest's bin folder with an echo-tcp that writes
// the arguments of every server it starts to the returned file and
// refuses the work "bogus" as the real one refuses a bad --work.
func workBin(t *testing.T) (bin, args string) {
	t.Helper()
	bin = servertest.BinDir(t)
	args = filepath.Join(t.TempDir(), "args")
	script := `#!/bin/sh
if [ "$1" = "--list-engines" ]; then
  case "$3" in *bogus*) echo "echo-tcp: invalid argument for --work" >&2; exit 2;; esac
  echo std; echo other; exit 0
fi
echo "$@" >> '` + args + `'
exec "$(dirname "$0")/echo-fake" --addr 127.0.0.1:0
`
	if err := os.WriteFile(filepath.Join(bin, "echo-tcp"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, args
}

func TestRunWorks(t *testing.T) {
	bin, argsFile := workBin(t)
	var last Progress
	cfg := Config{
		BinDir: bin, Works: []string{"none", "sleep:1ms"}, Conns: []int{2}, Sizes: []int{64}, Depths: []int{1},
		Duration: 100 * time.Millisecond, Warmup: 20 * time.Millisecond, Repeats: 1, DrainTimeout: time.Second,
		LogDir:   t.TempDir(),
		Progress: func(p Progress) { last = p },
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// none: std, other and cref; sleep:1ms: std and other, since the C
	// reference has no handler work.
	if len(res.Runs) != 5 || last.Done+1 != 5 || last.Total != 5 {
		t.Fatalf("%d runs, progress %+v; want 5 runs and 5 steps", len(res.Runs), last)
	}
	for _, r := range res.Runs {
		if r.Error != "" {
			t.Fatalf("run failed: %+v", r)
		}
		if r.Engine == cref.Name && r.Cell.Work != NoWork {
			t.Errorf("the C reference ran work %q", r.Cell.Work)
		}
	}
	if len(res.Meta.Cells) != 2 || res.Meta.Cells[1].Work != "sleep:1ms" || len(res.Meta.Works) != 2 {
		t.Fatalf("cells %v, works %v", res.Meta.Cells, res.Meta.Works)
	}
	if _, ok := res.Summary(Cell{Network: "tcp", Conns: 2, Size: 64, Depth: 1, Work: "sleep:1ms"}, "other"); !ok {
		t.Fatal("no summary for other on sleep:1ms")
	}
	// Every server stopped, each under its work: three for none, two
	// for sleep:1ms.
	byWork := map[string]int{}
	for _, e := range res.Engines {
		if e.Error != "" {
			t.Fatalf("server %+v failed", e)
		}
		byWork[e.Work]++
	}
	if byWork[NoWork] != 3 || byWork["sleep:1ms"] != 2 {
		t.Fatalf("servers by work %v, want 3 for none and 2 for sleep:1ms", byWork)
	}
	b, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d Go servers started, want 4 (2 engines x 2 works):\n%s", len(lines), b)
	}
	for i, l := range lines {
		want := "--work none"
		if i >= 2 {
			want = "--work sleep:1ms"
		}
		if !strings.Contains(l, want) {
			t.Errorf("server %d started with %q, want %q in it", i, l, want)
		}
	}
}

func TestRunRefusesBadWork(t *testing.T) {
	bin, _ := workBin(t)
	cfg := Config{
		BinDir: bin, Works: []string{"none", "cpu:20us,bogus"}, Conns: []int{1}, Sizes: []int{64}, Depths: []int{1},
		Duration: 100 * time.Millisecond, Repeats: 1, NoCRef: true,
	}
	_, err := Run(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), `"cpu:20us,bogus"`) || !strings.Contains(err.Error(), "separate works with ';'") {
		t.Fatalf("Run = %v, want the bad work named with the list syntax", err)
	}
}
