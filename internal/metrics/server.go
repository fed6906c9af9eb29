package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/rawnet/rawnet/netpoll"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Paths the server serves.
const (
	// Path is where the metrics are.
	Path = "/metrics"
	// PprofPath is where the runtime profiler's index is, with Config.Pprof.
	PprofPath = "/debug/pprof/"
)

// readHeaderTimeout bounds how long a client may take to send its request
// headers, so that idle or trickling clients cannot pile up.
const readHeaderTimeout = 10 * time.Second

// Config is what a metrics Server is started with.
type Config struct {
	// Addr is the host:port to listen on. A missing host, or a bare port
	// number, means loopback: going wider is an explicit choice.
	Addr string
	// Pprof serves the runtime profiler under PprofPath as well.
	Pprof bool
	// Logger receives the errors of failed scrapes; nil discards them.
	Logger *slog.Logger
}

// Server serves Path, and PprofPath with Config.Pprof, on a listener of
// its own.
type Server struct {
	ln   net.Listener
	http *http.Server
	done chan struct{}
}

// Listen binds cfg.Addr, so that a bad or busy address fails before
// anything else starts. Serve then serves on it.
func Listen(cfg Config) (*Listener, error) {
	ln, err := net.Listen("tcp", LoopbackDefault(cfg.Addr))
	if err != nil {
		return nil, err
	}
	return &Listener{ln: ln, cfg: cfg}, nil
}

// Listener is a bound metrics address not yet served.
type Listener struct {
	ln  net.Listener
	cfg Config
}

// Addr returns the bound address, with the port the kernel chose for
// port 0.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Close releases the address without serving it.
func (l *Listener) Close() error { return l.ln.Close() }

// Serve starts serving g's metrics, in a goroutine of its own, until
// Shutdown.
func (l *Listener) Serve(g prometheus.Gatherer) *Server {
	log := l.cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.Handle(Path, urgent(promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	})))
	if l.cfg.Pprof {
		mux.HandleFunc(PprofPath, pprof.Index)
		mux.HandleFunc(PprofPath+"cmdline", pprof.Cmdline)
		mux.HandleFunc(PprofPath+"profile", pprof.Profile)
		mux.HandleFunc(PprofPath+"symbol", pprof.Symbol)
		mux.HandleFunc(PprofPath+"trace", pprof.Trace)
	}
	s := &Server{
		ln: l.ln,
		http: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: readHeaderTimeout,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.http.Serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "addr", l.ln.Addr().String(), "err", err)
		}
	}()
	return s
}

// urgent serves h with the process's event loops yielding after every
// round (netpoll.Urgent), so that a scrape of a busy server waits for the
// processor a round at a time, not a millisecond at a time. The profiler's
// pages are left out: a CPU profile runs for seconds and should see the
// loops as they run without it.
func urgent(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done := netpoll.Urgent()
		defer done()
		h.ServeHTTP(w, r)
	})
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Shutdown stops listening, lets requests in progress finish until ctx is
// done, then closes the rest; it returns once the server has stopped.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.http.Close())
	}
	<-s.done
	return err
}

// Registry returns a registry holding the collector of src's statistics
// and the Go runtime and process collectors.
func Registry(src Source, engineName string, udp bool) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		NewCollector(src, engineName, udp),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// LoopbackDefault returns addr with a missing host, or a bare port
// number, turned into the loopback address 127.0.0.1.
func LoopbackDefault(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		// A bare port: "9100".
		if _, perr := net.LookupPort("tcp", addr); perr == nil && addr != "" {
			return net.JoinHostPort("127.0.0.1", addr)
		}
		return addr
	}
	if host == "" {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

// IsLoopback reports whether the host of a host:port address names only
// loopback addresses, after LoopbackDefault.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(LoopbackDefault(addr))
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
