// Package proc reads another process's resource use from /proc and pins
// processes to CPUs, for the bench matrix: CPU time, read and write
// syscalls, resident memory and threads of a server under test.
package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of utime and stime in /proc/PID/stat. The kernel
// exports them in USER_HZ, which is 100 on every Linux ABI
// (sysconf(_SC_CLK_TCK), proc(5)).
const userHZ = 100

// Sample is one reading of a process's counters.
type Sample struct {
	// At is when the sample was taken.
	At time.Time
	// CPU is user plus system time of all threads, live and exited,
	// with a resolution of 10ms (proc(5) utime, stime).
	CPU time.Duration
	// SysR and SysW count read-like and write-like syscalls: read,
	// readv, recv*, and write, writev, send* (proc(5) /proc/PID/io).
	SysR, SysW uint64
	// RSS and HWM are the resident set now and at its peak, in bytes
	// (VmRSS and VmHWM in /proc/PID/status).
	RSS, HWM int64
	// Threads is the number of threads now.
	Threads int
}

// Read samples pid.
func Read(pid int) (Sample, error) {
	s := Sample{At: time.Now()}
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return s, err
	}
	if s.CPU, err = parseStat(stat); err != nil {
		return s, fmt.Errorf("proc: %s/stat: %w", dir, err)
	}
	io, err := os.ReadFile(dir + "/io")
	if err != nil {
		return s, err
	}
	kv := fields(io)
	s.SysR, s.SysW = uint64(kv["syscr"]), uint64(kv["syscw"])
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return s, err
	}
	kv = fields(status)
	s.RSS, s.HWM, s.Threads = kv["VmRSS"]*1024, kv["VmHWM"]*1024, int(kv["Threads"])
	return s, nil
}

// parseStat returns utime+stime from the text of /proc/PID/stat. The
// command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("no command name")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields, want at least 15", len(f)+2)
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("utime %q stime %q", f[11], f[12])
	}
	return time.Duration(ut+st) * time.Second / userHZ, nil
}

// fields parses "Key: value [unit]" lines into numbers, ignoring lines
// whose value is not a number.
func fields(b []byte) map[string]int64 {
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			out[strings.TrimSpace(k)] = n
		}
	}
	return out
}

// Delta is the difference between two samples of one process.
type Delta struct {
	// Wall is the time between the samples.
	Wall time.Duration
	// CPU is the CPU time used in between.
	CPU time.Duration
	// Syscalls is read plus write syscalls in between.
	Syscalls uint64
}

// Sub returns what the process did between earlier and s.
func (s Sample) Sub(earlier Sample) Delta {
	return Delta{
		Wall:     s.At.Sub(earlier.At),
		CPU:      s.CPU - earlier.CPU,
		Syscalls: (s.SysR + s.SysW) - (earlier.SysR + earlier.SysW),
	}
}

// CPUUtil is the CPU seconds the process used per second in between: 1 is
// one core busy throughout. It is 0 when no time passed.
func (d Delta) CPUUtil() float64 {
	if d.Wall <= 0 {
		return 0
	}
	return d.CPU.Seconds() / d.Wall.Seconds()
}
