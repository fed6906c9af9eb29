package gnetengine

import (
	"context"
	"fmt"
	"log/slog"
)

// slogLogger passes gnet's log lines to the server's slog.Logger. gnet's
// Info lines (such as "Launching gnet with N event-loops") are chatter, so
// they go out at Debug; its Fatalf is logged at Error and never exits.
type slogLogger struct {
	l *slog.Logger
}

func (s *slogLogger) log(level slog.Level, format string, args []any) {
	if s.l.Enabled(context.Background(), level) {
		s.l.Log(context.Background(), level, fmt.Sprintf(format, args...), "source", "gnet")
	}
}

// Debugf logs at Debug.
func (s *slogLogger) Debugf(format string, args ...any) { s.log(slog.LevelDebug, format, args) }

// Infof logs at Debug.
func (s *slogLogger) Infof(format string, args ...any) { s.log(slog.LevelDebug, format, args) }

// Warnf logs at Warn.
func (s *slogLogger) Warnf(format string, args ...any) { s.log(slog.LevelWarn, format, args) }

// Errorf logs at Error.
func (s *slogLogger) Errorf(format string, args ...any) { s.log(slog.LevelError, format, args) }

// Fatalf logs at Error; gnet's own zap logger would exit the process.
func (s *slogLogger) Fatalf(format string, args ...any) { s.log(slog.LevelError, format, args) }
