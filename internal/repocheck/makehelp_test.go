package repocheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMakeHelpListsEveryTarget checks that every target named in the
// Makefile's .PHONY line carries a "## description", which is what `make
// help` prints; a target without one would be missing from the list.
func TestMakeHelpListsEveryTarget(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	phony := regexp.MustCompile(`(?m)^\.PHONY:(.*)$`).FindAllStringSubmatch(text, -1)
	if len(phony) == 0 {
		t.Fatal("no .PHONY line in the Makefile")
	}
	described := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z-]*):.*## `).FindAllStringSubmatch(text, -1) {
		described[m[1]] = true
	}
	for _, line := range phony {
		for _, target := range strings.Fields(line[1]) {
			if !described[target] {
				t.Errorf("make target %q has no ## description, so make help does not list it", target)
			}
		}
	}
}
