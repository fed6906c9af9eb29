//go:build !linux

package netpoll

import (
	"context"
	"net"
	"net/netip"
)

// This file lets programs that import netpoll build on systems without
// epoll: every entry point returns ErrUnsupported.

// Server is unavailable without epoll.
type Server struct{}

// Listen returns ErrUnsupported.
func Listen(network, address string, h Handler, cfg Config) (*Server, error) {
	return nil, ErrUnsupported
}

// ListenPacket returns ErrUnsupported.
func ListenPacket(network, address string, h PacketHandler, cfg Config) (*Server, error) {
	return nil, ErrUnsupported
}

// Addr returns nil.
func (s *Server) Addr() net.Addr { return nil }

// Loops returns nil.
func (s *Server) Loops() []*Loop { return nil }

// Stats returns zero counters.
func (s *Server) Stats() Stats { return Stats{} }

// Shutdown returns nil.
func (s *Server) Shutdown(ctx context.Context) error { return nil }

// Done returns a closed channel.
func (s *Server) Done() <-chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

// Err returns ErrUnsupported.
func (s *Server) Err() error { return ErrUnsupported }

// Loop is unavailable without epoll.
type Loop struct{}

// Index returns 0.
func (l *Loop) Index() int { return 0 }

// Submit returns ErrUnsupported.
func (l *Loop) Submit(fn func()) error { return ErrUnsupported }

// Conn is unavailable without epoll.
type Conn struct{}

// Write returns ErrUnsupported.
func (c *Conn) Write(b []byte) (int, error) { return 0, ErrUnsupported }

// Close returns ErrUnsupported.
func (c *Conn) Close() error { return ErrUnsupported }

// CloseWithError returns ErrUnsupported.
func (c *Conn) CloseWithError(err error) error { return ErrUnsupported }

// Context returns nil.
func (c *Conn) Context() any { return nil }

// SetContext does nothing.
func (c *Conn) SetContext(v any) {}

// RemoteAddr returns the zero AddrPort.
func (c *Conn) RemoteAddr() netip.AddrPort { return netip.AddrPort{} }

// OutboundBuffered returns 0.
func (c *Conn) OutboundBuffered() int { return 0 }

// PauseReading does nothing.
func (c *Conn) PauseReading() {}

// ResumeReading does nothing.
func (c *Conn) ResumeReading() {}

// SetRaw reports false: there are no connections.
func (c *Conn) SetRaw() bool { return false }

// WantWritable does nothing.
func (c *Conn) WantWritable(on bool) {}

// SetInFlight does nothing.
func (c *Conn) SetInFlight(on bool) {}

// CloseWrite returns ErrUnsupported.
func (c *Conn) CloseWrite() error { return ErrUnsupported }

// Touch does nothing.
func (c *Conn) Touch() {}

// Abort returns ErrUnsupported.
func (c *Conn) Abort(err error) error { return ErrUnsupported }

// Connect returns ErrUnsupported.
func (l *Loop) Connect(addr netip.AddrPort, ctx any) (*Conn, error) { return nil, ErrUnsupported }

// Fd returns -1.
func (c *Conn) Fd() int { return -1 }

// Loop returns nil.
func (c *Conn) Loop() *Loop { return nil }

// Packet is unavailable without epoll.
type Packet struct{}

// Data returns nil.
func (p *Packet) Data() []byte { return nil }

// From returns the zero AddrPort.
func (p *Packet) From() netip.AddrPort { return netip.AddrPort{} }

// Reply does nothing.
func (p *Packet) Reply(b []byte) {}

// Loop returns nil.
func (p *Packet) Loop() *Loop { return nil }
