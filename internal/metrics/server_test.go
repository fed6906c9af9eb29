package metrics_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rawnet/rawnet/internal/metrics"
)

func TestLoopbackDefault(t *testing.T) {
	tests := []struct {
		addr, want string
		loopback   bool
	}{
		{addr: ":9100", want: "127.0.0.1:9100", loopback: true},
		{addr: "9100", want: "127.0.0.1:9100", loopback: true},
		{addr: "127.0.0.1:0", want: "127.0.0.1:0", loopback: true},
		{addr: "localhost:9100", want: "localhost:9100", loopback: true},
		{addr: "[::1]:9100", want: "[::1]:9100", loopback: true},
		{addr: "0.0.0.0:9100", want: "0.0.0.0:9100"},
		{addr: "192.0.2.1:9100", want: "192.0.2.1:9100"},
		{addr: "nowhere", want: "nowhere"},
	}
	for _, tt := range tests {
		if got := metrics.LoopbackDefault(tt.addr); got != tt.want {
			t.Errorf("LoopbackDefault(%q) = %q, want %q", tt.addr, got, tt.want)
		}
		if got := metrics.IsLoopback(tt.addr); got != tt.loopback {
			t.Errorf("IsLoopback(%q) = %v, want %v", tt.addr, got, tt.loopback)
		}
	}
}

// TestServe checks what the server serves with and without the profiler.
func TestServe(t *testing.T) {
	tests := []struct {
		name       string
		pprof      bool
		path       string
		wantStatus int
		wantBody   string
	}{
		{name: "metrics", path: metrics.Path, wantStatus: http.StatusOK, wantBody: "rawnet_connections_accepted_total"},
		{name: "go collector", path: metrics.Path, wantStatus: http.StatusOK, wantBody: "go_goroutines"},
		{name: "process collector", path: metrics.Path, wantStatus: http.StatusOK, wantBody: "process_cpu_seconds_total"},
		{name: "no pprof", path: metrics.PprofPath, wantStatus: http.StatusNotFound},
		{name: "pprof", pprof: true, path: metrics.PprofPath, wantStatus: http.StatusOK, wantBody: "goroutine"},
		{name: "pprof heap", pprof: true, path: metrics.PprofPath + "heap?debug=1", wantStatus: http.StatusOK, wantBody: "heap profile"},
		{name: "elsewhere", path: "/", wantStatus: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := metrics.Listen(metrics.Config{Addr: "127.0.0.1:0", Pprof: tt.pprof})
			if err != nil {
				t.Fatal(err)
			}
			srv := ln.Serve(metrics.Registry(fixed(busy()), "std", false))
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := srv.Shutdown(ctx); err != nil {
					t.Errorf("Shutdown: %v", err)
				}
			})
			client := &http.Client{Timeout: 10 * time.Second}
			resp, err := client.Get("http://" + srv.Addr().String() + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			client.CloseIdleConnections()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("GET %s: status %d, want %d, and a body with %q:\n%.500s", tt.path, resp.StatusCode, tt.wantStatus, tt.wantBody, body)
			}
		})
	}
}
