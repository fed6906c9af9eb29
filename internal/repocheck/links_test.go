package repocheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the repository's top folder, two levels above this package.
func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(r, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", r, err)
	}
	return r
}

// markdownFiles lists every .md file below r, skipping Git's folder and
// build output.
func markdownFiles(t *testing.T, r string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(r, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "bin", "out", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// linkRE matches the target of a Markdown link or image: [text](target)
// or ![alt](target), with an optional "title".
var linkRE = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)

// localTarget returns the file part of a link target and whether it names
// a file at all: web addresses, mail links and in-page anchors do not.
func localTarget(target string) (string, bool) {
	if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") || strings.HasPrefix(target, "#") {
		return "", false
	}
	if i := strings.IndexByte(target, '#'); i >= 0 {
		target = target[:i]
	}
	return target, target != ""
}

// TestLinksStayInRepository checks every relative link in every Markdown
// file: it must name a file or folder that exists, inside the clone. A
// clone has nothing beside it, so a link that climbs out of it is broken
// for every reader.
func TestLinksStayInRepository(t *testing.T) {
	r := root(t)
	files := markdownFiles(t, r)
	if len(files) == 0 {
		t.Fatal("no Markdown files found")
	}
	links := 0
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(r, f)
		for _, m := range linkRE.FindAllStringSubmatch(string(text), -1) {
			target, ok := localTarget(m[1])
			if !ok {
				continue
			}
			links++
			if err := checkLocal(r, filepath.Dir(f), target); err != "" {
				t.Errorf("%s: link %q %s", rel, m[1], err)
			}
		}
	}
	t.Logf("%d local links in %d Markdown files", links, len(files))
}

// checkLocal resolves target against dir and returns why it is broken, or
// "" if it names something inside r.
func checkLocal(r, dir, target string) string {
	var p string
	if filepath.IsAbs(target) {
		p = filepath.Join(r, target)
	} else {
		p = filepath.Join(dir, target)
	}
	if rel, err := filepath.Rel(r, p); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "leaves the repository"
	}
	if _, err := os.Stat(p); err != nil {
		return "names nothing in the repository"
	}
	return ""
}

func TestCheckLocal(t *testing.T) {
	r := t.TempDir()
	if err := os.MkdirAll(filepath.Join(r, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r, "docs", "a.md"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		dir    string
		target string
		broken bool
	}{
		{name: "sibling file", dir: filepath.Join(r, "docs"), target: "a.md"},
		{name: "from the top", dir: r, target: "docs/a.md"},
		{name: "folder", dir: r, target: "docs"},
		{name: "missing file", dir: r, target: "docs/b.md", broken: true},
		{name: "climbs out", dir: r, target: "../elsewhere/DESIGN.md", broken: true},
		{name: "climbs out from below", dir: filepath.Join(r, "docs"), target: "../../x.md", broken: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkLocal(r, tt.dir, tt.target)
			if (got != "") != tt.broken {
				t.Errorf("checkLocal(%q) = %q, broken want %v", tt.target, got, tt.broken)
			}
		})
	}
}

func TestLocalTarget(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{in: "https://man7.org/linux/man-pages/man7/udp.7.html"},
		{in: "#performance"},
		{in: "mailto:x@example.org"},
		{in: "docs/perf/README.md#targets", want: "docs/perf/README.md", ok: true},
		{in: "docs/ARCHITECTURE.md", want: "docs/ARCHITECTURE.md", ok: true},
	}
	for _, tt := range tests {
		got, ok := localTarget(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("localTarget(%q) = (%q, %v), want (%q, %v)", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestNoReferenceOutsideClone fails if any tracked text names the folder
// that sits beside a working copy but not beside a clone.
func TestNoReferenceOutsideClone(t *testing.T) {
	r := root(t)
	forbidden := "../" + "shared/"
	err := filepath.WalkDir(r, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "bin", "out", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil || info.Size() > 1<<20 {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), forbidden) {
			rel, _ := filepath.Rel(r, p)
			t.Errorf("%s names %s, which a clone does not have", rel, forbidden)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
