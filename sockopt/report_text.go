package sockopt

import (
	"fmt"
	"strconv"
	"strings"
)

// NewReport pairs req with g and adds a warning for each socket buffer the
// kernel granted less of than asked. Linux doubles SO_RCVBUF and SO_SNDBUF
// requests (socket(7)), so a buffer is short when the granted size is under
// twice the request; without ForceBuf that means net.core.rmem_max or
// net.core.wmem_max clamped it, and the warning gives the sysctl's current
// value and how to lift the limit.
func NewReport(req Options, g Granted) Report {
	r := Report{Requested: req, Granted: g}
	if w := bufWarning("SO_RCVBUF", "net.core.rmem_max", req.RecvBuf, g.RecvBuf, req.ForceBuf); w != "" {
		r.Warnings = append(r.Warnings, w)
	}
	if w := bufWarning("SO_SNDBUF", "net.core.wmem_max", req.SendBuf, g.SendBuf, req.ForceBuf); w != "" {
		r.Warnings = append(r.Warnings, w)
	}
	return r
}

// bufWarning explains a buffer granted below twice its request, or returns
// "" when there is nothing to say. Halving the grant instead of doubling the
// request keeps the comparison free of overflow.
func bufWarning(opt, limit string, requested, granted int, force bool) string {
	if requested <= 0 || granted/2 >= requested {
		return ""
	}
	if force {
		// SO_RCVBUFFORCE skips the sysctl but the kernel still caps the
		// request at INT_MAX/2 before doubling it (net/core/sock.c).
		return fmt.Sprintf("%sFORCE asked %d bytes but the kernel granted %d, "+
			"less than the doubled %d socket(7) describes; the kernel caps forced buffers at INT_MAX/2",
			opt, requested, granted, 2*int64(requested))
	}
	max, err := sysctl(limit)
	if err != nil {
		return fmt.Sprintf("%s asked %d bytes but the kernel granted %d, less than the doubled %d socket(7) describes, "+
			"probably clamped by %s, which could not be read (%v); set ForceBuf as root or raise %s",
			opt, requested, granted, 2*int64(requested), limit, err, limit)
	}
	return fmt.Sprintf("%s asked %d bytes but the kernel granted %d, less than the doubled %d socket(7) describes: "+
		"clamped by %s=%d; set ForceBuf as root (CAP_NET_ADMIN) or raise it with sysctl -w %s=%d",
		opt, requested, granted, 2*int64(requested), limit, max, limit, requested)
}

// String formats the report on one line as space separated key=value
// pairs: buffers as requested/granted, with "default" for a request of 0,
// and flags as on or off as granted, for example
//
//	rcvbuf=65536/131072 sndbuf=default/16384 nodelay=on reuseaddr=on reuseport=off keepalive=off
//
// Warnings are not included; print them on lines of their own.
func (r Report) String() string {
	var b strings.Builder
	b.WriteString("rcvbuf=")
	writeBuf(&b, r.Requested.RecvBuf, r.Granted.RecvBuf)
	b.WriteString(" sndbuf=")
	writeBuf(&b, r.Requested.SendBuf, r.Granted.SendBuf)
	b.WriteString(" nodelay=" + onOff(r.Granted.NoDelay))
	b.WriteString(" reuseaddr=" + onOff(r.Granted.ReuseAddr))
	b.WriteString(" reuseport=" + onOff(r.Granted.ReusePort))
	b.WriteString(" keepalive=" + onOff(r.Granted.KeepAlive))
	return b.String()
}

// writeBuf writes requested/granted, naming a request of 0 "default".
func writeBuf(b *strings.Builder, requested, granted int) {
	if requested > 0 {
		b.WriteString(strconv.Itoa(requested))
	} else {
		b.WriteString("default")
	}
	b.WriteByte('/')
	b.WriteString(strconv.Itoa(granted))
}

// onOff spells a flag.
func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}
