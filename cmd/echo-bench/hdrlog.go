package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rawnet/rawnet/bench"
)

// hdrLog is the HdrHistogram interval log of one run (--hdr-log).
type hdrLog struct {
	f  *os.File
	lw *bench.LogWriter
}

// createHdrLog creates the log at path, its intervals tagged with tag.
// The tag is checked first, so a bad one leaves no file behind.
func createHdrLog(path, tag string) (*hdrLog, error) {
	if _, err := bench.NewLogWriter(io.Discard, tag); err != nil {
		return nil, fmt.Errorf("--hdr-tag: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--hdr-log: %w", err)
	}
	lw, err := bench.NewLogWriter(f, tag)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &hdrLog{f: f, lw: lw}, nil
}

// finish ends the log with the run's result and closes it.
func (l *hdrLog) finish(res *bench.Result) error {
	err := l.lw.Result(res)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--hdr-log %s: %w", l.f.Name(), err)
	}
	return nil
}

// defaultTag names this process for the intervals it logs: the host name
// and the process id, so that logs merged from several hosts or
// processes say whose each interval was. The format allows no commas,
// spaces or line breaks in a tag; any become underscores.
func defaultTag() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	clean := strings.Map(func(r rune) rune {
		if strings.ContainsRune(", \t\r\n", r) {
			return '_'
		}
		return r
	}, host)
	return fmt.Sprintf("%s-%d", clean, os.Getpid())
}

// errNoLogs is merge's error when it is given no file.
var errNoLogs = errors.New("no log to merge: name the files written by echo-bench run --hdr-log (see echo-bench merge --help)")
