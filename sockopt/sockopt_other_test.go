//go:build !linux

package sockopt

import (
	"errors"
	"testing"
	"time"
)

func TestUnsupported(t *testing.T) {
	calls := []struct {
		name string
		call func() error
	}{
		{name: "SetRecvBuf", call: func() error { return SetRecvBuf(0, 1, false) }},
		{name: "RecvBuf", call: func() error { _, err := RecvBuf(0); return err }},
		{name: "SetSendBuf", call: func() error { return SetSendBuf(0, 1, false) }},
		{name: "SendBuf", call: func() error { _, err := SendBuf(0); return err }},
		{name: "SetNoDelay", call: func() error { return SetNoDelay(0, true) }},
		{name: "NoDelay", call: func() error { _, err := NoDelay(0); return err }},
		{name: "SetReuseAddr", call: func() error { return SetReuseAddr(0, true) }},
		{name: "ReuseAddr", call: func() error { _, err := ReuseAddr(0); return err }},
		{name: "SetReusePort", call: func() error { return SetReusePort(0, true) }},
		{name: "ReusePort", call: func() error { _, err := ReusePort(0); return err }},
		{name: "SetKeepAlive", call: func() error { return SetKeepAlive(0, true) }},
		{name: "KeepAlive", call: func() error { _, err := KeepAlive(0); return err }},
		{name: "SetKeepAliveIdle", call: func() error { return SetKeepAliveIdle(0, time.Second) }},
		{name: "KeepAliveIdle", call: func() error { _, err := KeepAliveIdle(0); return err }},
		{name: "SetKeepAliveInterval", call: func() error { return SetKeepAliveInterval(0, time.Second) }},
		{name: "KeepAliveInterval", call: func() error { _, err := KeepAliveInterval(0); return err }},
		{name: "SetKeepAliveCount", call: func() error { return SetKeepAliveCount(0, 1) }},
		{name: "KeepAliveCount", call: func() error { _, err := KeepAliveCount(0); return err }},
		{name: "SetQuickAck", call: func() error { return SetQuickAck(0, true) }},
		{name: "QuickAck", call: func() error { _, err := QuickAck(0); return err }},
		{name: "SetBusyPoll", call: func() error { return SetBusyPoll(0, time.Microsecond) }},
		{name: "BusyPoll", call: func() error { _, err := BusyPoll(0); return err }},
		{name: "ApplyListener", call: func() error { return Options{}.ApplyListener(0) }},
		{name: "ApplyConn", call: func() error { return Options{}.ApplyConn(0) }},
		{name: "Control", call: func() error { return Options{}.Control("tcp", "", nil) }},
		{name: "ApplyRawConn", call: func() error { return Options{}.ApplyRawConn(nil) }},
		{name: "Read", call: func() error { _, err := Read(0); return err }},
		{name: "ReadRawConn", call: func() error { _, err := ReadRawConn(nil); return err }},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: got %v, want ErrUnsupported", c.name, err)
		}
	}
}
