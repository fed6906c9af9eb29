package udpgso

import (
	"errors"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestRefused(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{unix.EIO, true}, {unix.EINVAL, true}, {unix.EMSGSIZE, true}, {unix.EOPNOTSUPP, true}, {unix.ENOPROTOOPT, true},
		{unix.EAGAIN, false}, {unix.EPERM, false}, {unix.ECONNREFUSED, false}, {unix.EACCES, false}, {errors.New("other"), false},
	}
	for _, tt := range tests {
		if got := Refused(tt.err); got != tt.want {
			t.Errorf("Refused(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestSegmentSizeRoundTrip(t *testing.T) {
	for _, size := range []int{1, 64, MaxSegment} {
		cm := make([]byte, ControlSpace)
		PutSegmentSize(cm, size)
		h := (*unix.Cmsghdr)(unsafe.Pointer(&cm[0]))
		if h.Level != unix.SOL_UDP || h.Type != unix.UDP_SEGMENT || int(h.Len) != unix.CmsgLen(2) || SegmentSize(cm) != size {
			t.Fatalf("size %d: header %+v, segment size %d", size, *h, SegmentSize(cm))
		}
	}
}

func TestSetControl(t *testing.T) {
	cm := make([]byte, ControlSpace)
	var h unix.Msghdr
	SetControl(&h, cm, 3, 1200)
	if h.Control != &cm[0] || h.Controllen != uint64(len(cm)) || SegmentSize(cm) != 1200 {
		t.Fatalf("three datagrams: control %p len %d size %d, want %p len %d size 1200",
			h.Control, h.Controllen, SegmentSize(cm), &cm[0], len(cm))
	}
	SetControl(&h, cm, 1, 1200)
	if h.Control != nil || h.Controllen != 0 {
		t.Fatalf("one datagram keeps a control message: %p len %d", h.Control, h.Controllen)
	}
}
