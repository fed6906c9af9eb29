package cpuset

import (
	"fmt"
	"strconv"
	"strings"
)

// allowedFromStatus finds the Cpus_allowed_list line of a
// /proc/PID/task/TID/status file (proc(5)) and parses it.
func allowedFromStatus(status string) ([]int, error) {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return Parse(v)
		}
	}
	return nil, fmt.Errorf("cpuset: no Cpus_allowed_list in the task's status")
}

func itoa(n int) string { return strconv.Itoa(n) }
