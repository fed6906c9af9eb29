package main

import (
	"errors"
	"io"
	"os"
	"strings"
)

// toStdout reports whether an output flag's path names stdout.
func toStdout(path string) bool { return strings.TrimSpace(path) == "-" }

// summaryOut returns where a run's human summary goes: stdout, unless the
// JSON or the CSV result goes there ("-"), so that stdout carries that one
// format and nothing else (echo-bench --json - | jq); the summary then goes
// to stderr. Both formats on stdout would mix, so that is refused.
func summaryOut(jsonPath, csvPath string, stdout, stderr io.Writer) (io.Writer, error) {
	switch {
	case toStdout(jsonPath) && toStdout(csvPath):
		return nil, errors.New("--json - and --csv - would mix two formats on stdout: write one of them to a file")
	case toStdout(jsonPath) || toStdout(csvPath):
		return stderr, nil
	}
	return stdout, nil
}

// writeTo writes with write to path, or to stdout for "-"; an empty path
// writes nothing.
func writeTo(path string, stdout io.Writer, write func(io.Writer) error) error {
	switch {
	case strings.TrimSpace(path) == "":
		return nil
	case toStdout(path):
		return write(stdout)
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
