package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// parseBins reads --bins, a comma-separated list of NAME=DIR, into
// variants served by DIR/echo-tcp.
func parseBins(list string) ([]variant, error) {
	var vs []variant
	for _, item := range strings.Split(list, ",") {
		name, dir, ok := strings.Cut(item, "=")
		if !ok || name == "" || dir == "" {
			return nil, fmt.Errorf("--bins: %q is not NAME=DIR", item)
		}
		vs = append(vs, variant{name: name, bin: dir})
	}
	return vs, nil
}

// startBinary starts v.bin/echo-tcp with the epoll engine and its metrics
// page on loopback ports, pinned to cpus with GOMAXPROCS set to their
// number when cpus is set, and reads both addresses from the line it
// prints once it listens.
func startBinary(v variant, cpus string) (target, error) {
	args := []string{v.bin + "/echo-tcp", "--engine", "epoll", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}
	env := os.Environ()
	if cpus != "" {
		args = append([]string{"taskset", "-c", cpus}, args...)
		env = append(env, "GOMAXPROCS="+strconv.Itoa(countCPUs(cpus)))
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return target{}, err
	}
	if err := cmd.Start(); err != nil {
		return target{}, err
	}
	stop := func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		err := cmd.Wait()
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 0 {
			err = nil
		}
		return err
	}
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		// listening on tcp 127.0.0.1:PORT engine=epoll ... metrics=URL ...
		f := strings.Fields(lines.Text())
		if len(f) < 4 || f[0] != "listening" {
			continue
		}
		for _, kv := range f[4:] {
			if url, ok := strings.CutPrefix(kv, "metrics="); ok {
				// The rest of its output goes nowhere.
				go func() { _, _ = io.Copy(io.Discard, out) }()
				return target{echo: f[3], url: url, stop: stop}, nil
			}
		}
		return target{}, errors.Join(fmt.Errorf("%s names no metrics address: %q", args[0], lines.Text()), stop())
	}
	return target{}, errors.Join(fmt.Errorf("%s exited before listening", v.bin), lines.Err(), stop())
}

// countCPUs counts the CPUs of a taskset list such as 1 or 0-1,3.
func countCPUs(list string) int {
	n := 0
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, _ := strconv.Atoi(lo)
		b := a
		if isRange {
			b, _ = strconv.Atoi(hi)
		}
		n += max(b-a+1, 1)
	}
	return n
}
