package sockopt

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// procSys is where Linux exposes sysctl values as files (proc(5)); tests
// point it elsewhere.
var procSys = "/proc/sys"

// sysctl reads an integer sysctl such as "net.core.rmem_max" from
// /proc/sys.
func sysctl(name string) (int, error) {
	path := procSys + "/" + strings.ReplaceAll(name, ".", "/")
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("sockopt: read sysctl %s: %w", name, err)
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("sockopt: parse sysctl %s: %w", name, err)
	}
	return v, nil
}
