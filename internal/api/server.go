// Package api is Kiln's HTTP layer: the UForge REST paths under /api, content
// negotiation (XML by default, JSON on request), authentication (Basic and API
// key signatures), entitlements, conditional GETs and uforgeError bodies.
// Use cases live in internal/service; this package decodes, authorises, calls
// and encodes.
package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/service"
)

// BasePath is where the API is mounted, as in UForge (`https://host/api`).
const BasePath = "/api"

// Config configures the HTTP layer.
type Config struct {
	PublicURL    string // base URL clients use, e.g. http://127.0.0.1:8080/api
	Version      string // reported by GET /status (UForge clients compare it)
	MaxBodyBytes int64  // request bodies above this get 413 (default 1 MiB)
	// AgentPath is the scan agent served without credentials at
	// /resources/uforge-scan.bin (where hammr fetches it) and
	// /resources/kiln-scan: Kiln's own binary, which `kiln scan` runs. Its
	// SHA-256 is at /api/resources/{name}.sha256, with credentials.
	AgentPath string
	// LegacyAPIKeySignatures accepts UForge's legacy API-key signatures for
	// every method; without it, for GET and HEAD only (they cover neither the
	// method nor the body, and never expire).
	LegacyAPIKeySignatures bool
	// TrustForwardedFor makes the client address that login limits count
	// the last one of X-Forwarded-For: set it only behind a proxy that
	// appends the peer's address there, or any client could pick its own.
	TrustForwardedFor bool
	// StallTimeout bounds how long an upload or download may go without
	// moving a byte (default a minute). Those routes lift the server's read
	// and write timeouts, which would cut off a large transfer (streaming.go).
	StallTimeout time.Duration
	Logger       *slog.Logger
}

// Server serves the API.
type Server struct {
	users      *service.Users
	catalog    *service.Catalog
	appliances *service.Appliances
	images     *service.Images
	scans      *service.Scans
	quotas     *service.Quotas
	cfg        Config
	log        *slog.Logger
	mux        *http.ServeMux
	agentSum   agentSum
	verifier   *auth.Verifier
}

// replayMemory is how many v1 signatures a node remembers within
// auth.MaxSkew: 100 signed requests a second for ten minutes, a few MiB.
const replayMemory = 1 << 16

// New returns the API server of the use cases in svc.
func New(svc *service.Services, cfg Config) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = time.Minute
	}
	s := &Server{users: svc.Users, catalog: svc.Catalog, appliances: svc.Appliances, images: svc.Images, scans: svc.Scans, quotas: svc.Quotas, cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(),
		verifier: &auth.Verifier{BasePath: BasePath, LegacyAnyMethod: cfg.LegacyAPIKeySignatures, Replay: auth.NewReplayGuard(replayMemory)}}
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
			s.writeError(rw, r, newError(http.StatusInternalServerError, "kiln.internal", "internal error; the server log has the details"))
		}
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rw.status, "duration", time.Since(start))
	}()
	rw.Header().Set("Content-Language", "en")
	rw.Header().Set("version", s.cfg.Version)
	s.mux.ServeHTTP(rw, r)
}

// statusWriter records the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Flush lets streaming downloads flush through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
