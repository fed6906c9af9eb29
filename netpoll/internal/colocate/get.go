package main

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// getCmd is `colocate get`: GET a URL every --interval for --duration
// and print each GET's time in microseconds, one a line. scrape runs it
// as a child process under a real-time priority (--get-fifo), so that
// what it measures is the server's answer and not how long the client
// itself waited for a CPU that the server and the load generator keep
// busy: a Prometheus server scrapes from a CPU of its own.
func getCmd(args []string) error {
	fs := pflag.NewFlagSet("get", pflag.ContinueOnError)
	url := fs.String("url", "", "the URL to GET")
	every := fs.Duration("interval", 10*time.Millisecond, "time between the starts of two GETs")
	dur := fs.Duration("duration", 5*time.Second, "how long to GET")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" {
		return errors.New("get: --url is required")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	w := bufio.NewWriter(os.Stdout)
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for end := time.Now().Add(*dur); time.Now().Before(end); {
		<-tick.C
		d, err := get(client, *url)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, d.Microseconds())
	}
	return w.Flush()
}

// getChild runs `colocate get` in a child process at SCHED_FIFO priority
// prio (through chrt, from util-linux; setting the policy needs root or
// CAP_SYS_NICE) and returns the GET times it printed.
func getChild(prio int, url string, every, dur time.Duration) ([]time.Duration, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("chrt", "-f", strconv.Itoa(prio), self, "get",
		"--url", url, "--interval", every.String(), "--duration", dur.String())
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("chrt -f %d colocate get: %w", prio, err)
	}
	var samples []time.Duration
	for _, line := range strings.Fields(string(out)) {
		n, err := strconv.ParseInt(line, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("colocate get printed %q: %w", line, err)
		}
		samples = append(samples, time.Duration(n)*time.Microsecond)
	}
	return samples, nil
}
