//go:build linux

package netpoll

import (
	"bytes"
	"runtime"
	"testing"
)

// lockedToThread reports whether the calling goroutine is locked to its
// OS thread, as the runtime itself records it: a goroutine's traceback
// header says "locked to thread" exactly when it is (runtime/traceback.go,
// goroutineheader).
func lockedToThread() bool {
	buf := make([]byte, 256)
	buf = buf[:runtime.Stack(buf, false)]
	header, _, _ := bytes.Cut(buf, []byte("\n"))
	return bytes.Contains(header, []byte("locked to thread"))
}

func TestLockThreads(t *testing.T) {
	if lockedToThread() {
		t.Fatal("the test goroutine reports itself locked; the probe cannot tell the cases apart")
	}
	runtime.LockOSThread()
	probed := lockedToThread()
	runtime.UnlockOSThread()
	if !probed {
		t.Fatal("a locked goroutine reports itself unlocked; the probe cannot tell the cases apart")
	}
	tests := []struct {
		name       string
		lock       bool
		wait       Wait
		wantLocked bool
	}{
		{name: "default does not lock", wantLocked: false},
		{name: "LockThreads", lock: true, wantLocked: true},
		{name: "WaitSyscall", wait: WaitSyscall, wantLocked: false},
		{name: "LockThreads WaitSyscall", lock: true, wait: WaitSyscall, wantLocked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler()
			seen := make(chan bool, 3)
			h.open = func(c *Conn) { seen <- lockedToThread() }
			h.data = func(c *Conn, b []byte) int {
				seen <- lockedToThread()
				_, _ = c.Write(b)
				return len(b)
			}
			s := startServer(t, h, Config{Loops: 1, LockThreads: tt.lock, Wait: tt.wait})
			c := dial(t, s)
			readFull(t, c, writeAll(t, c, "x"))
			if err := s.Loops()[0].Submit(func() { seen <- lockedToThread() }); err != nil {
				t.Fatal(err)
			}
			for _, where := range []string{"OnOpen", "OnData", "a submitted function"} {
				if got := <-seen; got != tt.wantLocked {
					t.Errorf("%s ran on a goroutine locked to its thread: %v, want %v", where, got, tt.wantLocked)
				}
			}
		})
	}
}
