//go:build linux

package hostile

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// nsPrefix starts the name of every network namespace the suite creates;
// the process id follows, so a later run can remove what a killed run
// left behind.
const nsPrefix = "rawnet-hostile-"

// nsSeq numbers the namespaces and veth pairs of this process.
var nsSeq atomic.Int32

// netns is a network namespace the suite created, removed when the case
// ends, pass or fail.
type netns struct {
	name string
	seq  int
}

// newNetns creates a network namespace with its loopback up. It needs
// root; the cases that call it are marked so.
func newNetns(t tb) *netns {
	t.Helper()
	removeStaleNetns()
	seq := int(nsSeq.Add(1))
	n := &netns{name: fmt.Sprintf("%s%d-%d", nsPrefix, os.Getpid(), seq), seq: seq}
	ipRun(t, "netns", "add", n.name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", n.name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", n.name, err, out)
		}
	})
	ipRun(t, "-n", n.name, "link", "set", "lo", "up")
	return n
}

// removeStaleNetns deletes namespaces a run that no longer exists left
// behind, such as one killed by a test timeout.
func removeStaleNetns() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest, ok := strings.CutPrefix(name, nsPrefix)
		if !ok {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() {
			continue
		}
		// Signal 0 probes for the process (kill(2)).
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			exec.Command("ip", "netns", "del", name).Run()
		}
	}
}

// command returns bin with args to be run inside the namespace. ip netns
// exec switches namespace and then execs bin in the same process
// (ip-netns(8)), so signals sent to the command's process reach bin.
func (n *netns) command(bin string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.name, bin}, args...)...)
}

// veth links the namespace to the host with a veth pair on a /30 of
// 198.18.0.0/15 (RFC 2544's benchmarking range, routed nowhere) and
// returns the host's and the namespace's addresses and the names of the
// host's and the namespace's ends. Removing the namespace removes the
// pair.
func (n *netns) veth(t tb) (hostIP, nsIP, hostDev, nsDev string) {
	t.Helper()
	hostDev = fmt.Sprintf("rwh%d-%d", os.Getpid()%100000, n.seq)
	nsDev = fmt.Sprintf("rwn%d-%d", os.Getpid()%100000, n.seq)
	// Spread concurrent runs over the range: the third octet from the
	// process id, the fourth from the sequence number.
	third := os.Getpid() % 256
	fourth := (n.seq % 64) * 4
	hostIP = fmt.Sprintf("198.18.%d.%d", third, fourth+1)
	nsIP = fmt.Sprintf("198.18.%d.%d", third, fourth+2)
	ipRun(t, "link", "add", hostDev, "type", "veth", "peer", "name", nsDev, "netns", n.name)
	ipRun(t, "addr", "add", hostIP+"/30", "dev", hostDev)
	ipRun(t, "link", "set", hostDev, "up")
	ipRun(t, "-n", n.name, "addr", "add", nsIP+"/30", "dev", nsDev)
	ipRun(t, "-n", n.name, "link", "set", nsDev, "up")
	return hostIP, nsIP, hostDev, nsDev
}

// shape limits the egress of dev (in the namespace when inside) to rate
// with a token bucket filter (tc-tbf(8)); netem is not available in this
// kernel.
func (n *netns) shape(t tb, dev string, inside bool, rate string) {
	t.Helper()
	args := []string{"qdisc", "add", "dev", dev, "root", "tbf", "rate", rate, "burst", "32kbit", "latency", "400ms"}
	var cmd *exec.Cmd
	if inside {
		cmd = exec.Command("ip", append([]string{"netns", "exec", n.name, "tc"}, args...)...)
	} else {
		cmd = exec.Command("tc", args...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tc %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// ipRun runs ip with args and fails the case if it fails.
func ipRun(t tb, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}
