package matrix

import (
	"fmt"
	"strings"
)

// Variant is an engine started with settings of its own, measured beside
// the plain engines under a name of its own: the same engine with more
// loops or another balance, with a runtime setting in its environment, or
// from another build to compare a change side by side.
type Variant struct {
	// Name labels the variant in every table and chart.
	Name string
	// Engine is the --engine the server is started with.
	Engine string
	// BinDir, when set, holds the echo-tcp and echo-udp to start instead
	// of Config.BinDir's.
	BinDir string
	// Args are appended to the server's command line, after the matrix's
	// own flags, so they win over them (--loops, for instance).
	Args []string
	// Env holds KEY=VALUE settings added to the server's environment,
	// after the matrix's own (GOMAXPROCS), so they win over them.
	Env []string
}

// ParseVariant reads "NAME=ENGINE [bin:DIR] [env:KEY=VALUE]... [ARG]...",
// as in "epoll-2loops=epoll --loops 2 --balance reuseport" or
// "epoll-old=epoll bin:/tmp/old/bin". Tokens are separated by spaces.
func ParseVariant(s string) (Variant, error) {
	name, rest, ok := strings.Cut(s, "=")
	fields := strings.Fields(rest)
	if !ok || strings.TrimSpace(name) == "" || len(fields) == 0 {
		return Variant{}, fmt.Errorf("matrix: variant %q: want NAME=ENGINE, then any bin:DIR, env:KEY=VALUE and server flags", s)
	}
	v := Variant{Name: strings.TrimSpace(name), Engine: fields[0]}
	for _, f := range fields[1:] {
		switch {
		case strings.HasPrefix(f, "bin:"):
			v.BinDir = strings.TrimPrefix(f, "bin:")
		case strings.HasPrefix(f, "env:"):
			kv := strings.TrimPrefix(f, "env:")
			if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
				return Variant{}, fmt.Errorf("matrix: variant %q: %q is not env:KEY=VALUE", s, f)
			}
			v.Env = append(v.Env, kv)
		default:
			v.Args = append(v.Args, f)
		}
	}
	return v, nil
}

// variant returns the variant named name, if there is one.
func (c Config) variant(name string) (Variant, bool) {
	for _, v := range c.Variants {
		if v.Name == name {
			return v, true
		}
	}
	return Variant{}, false
}
