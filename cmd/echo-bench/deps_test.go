package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// measured are the import paths echo-bench must not link, with every
// package below them: the servers and the forwarder it measures, their
// reactor and the library one of them wraps (gnet's module path carries
// its major version, gnet/v2). A load generator that shares code with
// its target can share its bugs and its costs, and then measures neither
// (STYLE.md, "One copy").
var measured = []string{
	"github.com/rawnet/rawnet/engine",
	"github.com/rawnet/rawnet/netpoll",
	"github.com/rawnet/rawnet/relay",
	"github.com/panjf2000/gnet",
}

// linksMeasured reports whether the import path pkg is one of measured or
// below one of them.
func linksMeasured(pkg string) bool {
	for _, m := range measured {
		if pkg == m || strings.HasPrefix(pkg, m+"/") {
			return true
		}
	}
	return false
}

func TestLinksMeasured(t *testing.T) {
	tests := []struct {
		pkg  string
		want bool
	}{
		{pkg: "github.com/rawnet/rawnet/engine", want: true},
		{pkg: "github.com/rawnet/rawnet/engine/epoll", want: true},
		{pkg: "github.com/rawnet/rawnet/netpoll", want: true},
		{pkg: "github.com/panjf2000/gnet/v2", want: true},
		{pkg: "github.com/panjf2000/gnet/v2/pkg/netpoll", want: true},
		{pkg: "github.com/rawnet/rawnet/bench", want: false},
		{pkg: "github.com/rawnet/rawnet/frame", want: false},
		{pkg: "github.com/rawnet/rawnet/engines", want: false},
		{pkg: "golang.org/x/sys/unix", want: false},
	}
	for _, tt := range tests {
		if got := linksMeasured(tt.pkg); got != tt.want {
			t.Errorf("linksMeasured(%q) = %v, want %v", tt.pkg, got, tt.want)
		}
	}
}

// TestLinksNoServer lists everything echo-bench links and fails on any
// package of the servers it measures.
func TestLinksNoServer(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command lists the dependencies: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	// The list must be echo-bench's: an empty or wrong one passes anything.
	if !slices.Contains(deps, "github.com/rawnet/rawnet/bench") || !slices.Contains(deps, "github.com/rawnet/rawnet/cmd/echo-bench") {
		t.Fatalf("go list -deps printed no echo-bench dependencies:\n%s", out)
	}
	for _, d := range deps {
		if linksMeasured(d) {
			t.Errorf("echo-bench links %s, part of what it measures: move what it needs out of the servers' packages", d)
		}
	}
}
