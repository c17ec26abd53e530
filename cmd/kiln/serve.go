package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/internal/app"
	"github.com/kilnhq/kiln/internal/distro"
)

type serveOptions struct {
	nodeFlags
	tlsFlags
	login loginFlags
	limitFlags
	listen       string
	publicURL    string
	apiVersion   string
	indexMaxAge  time.Duration
	maxBodyBytes int64
	legacySigs   bool
	secretKey    string
	previousKey  string
}

func newServeCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the API server (with SQLite and local storage by default)",
		Long: `Run Kiln's UForge-compatible API server under /api.

Every flag can also be set with an environment variable KILN_<FLAG>
(e.g. KILN_LISTEN, KILN_DATABASE) or by its name in the YAML file given with
--config or KILN_CONFIG (listen: 127.0.0.1:9090); a flag wins over its
variable, which wins over the file. At first start with an empty database the
user "admin" is created with the password in KILN_ADMIN_PASSWORD, or a
generated one that is printed once.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := loadSettings(cmd); err != nil {
				return err
			}
			return serve(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	o.nodeFlags.register(f, allNodeFlags...)
	o.tlsFlags.register(f)
	f.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&o.publicURL, "public-url", "", "base URL of the API as clients see it (default http://LISTEN/api, https with --tls-cert)")
	f.StringVar(&o.apiVersion, "api-version", "3.8.13", "platform version reported by GET /status (UForge clients compare it with theirs)")
	f.DurationVar(&o.indexMaxAge, "index-max-age", 24*time.Hour, "refresh package indexes older than this")
	f.Int64Var(&o.maxBodyBytes, "max-body-bytes", 1<<20, "largest accepted request body")
	f.BoolVar(&o.legacySigs, "legacy-api-key-signatures", false,
		"accept UForge's legacy API-key signatures (hammr's) for every method, not only GET and HEAD: they cover neither method nor body and can be replayed")
	f.StringVar(&o.secretKey, "secret-key-file", "",
		"32-byte key sealing API-key secrets in the database (default DATA/secret.key, generated mode 0600 when missing); every API node of one database must share it")
	f.StringVar(&o.previousKey, "previous-secret-key-file", "",
		"key being rotated out: secrets it sealed still open and are sealed again with --secret-key-file at start")
	o.login.register(f)
	o.limitFlags.register(f)
	return cmd
}

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

func serve(ctx context.Context, o serveOptions) error {
	log, err := newLogger(o.logLevel)
	if err != nil {
		return err
	}
	login, err := o.login.policy()
	if err != nil {
		return err
	}
	mirrors, err := loadMirrors(o.mirror, o.aptRoot, log)
	if err != nil {
		return err
	}
	ln, tlsConfig, err := o.listenTransport(o.listen)
	if err != nil {
		return err
	}
	if o.publicURL == "" {
		o.publicURL = defaultPublicURL(ln.Addr(), tlsConfig != nil)
	}
	node, err := app.Open(ctx, app.Config{
		DataDir: o.data, Database: o.database, PublicURL: strings.TrimSuffix(o.publicURL, "/"), APIVersion: o.apiVersion,
		MaxBodyBytes: o.maxBodyBytes, Mirrors: mirrors, AdminPassword: os.Getenv("KILN_ADMIN_PASSWORD"),
		RunWorkers: o.workers > 0, Workers: max(o.workers, 1), JobTimeout: o.jobTimeout, CacheMaxBytes: o.cacheMaxGB << 30,
		CacheDir: o.cacheDir, LegacyAPIKeySignatures: o.legacySigs,
		SecretKeyFile: o.secretKey, PreviousSecretKeyFile: o.previousKey,
		Login: login, TrustForwardedFor: o.login.trustForwardedFor, Logger: log,
		Quotas: o.quotas(), DownloadKeyTTL: o.downloadKeyTTL, StallTimeout: o.stallTimeout, MinFreeBytes: o.minFreeGB << 30,
	})
	if err != nil {
		return err
	}
	defer func() {
		stop, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := node.Close(stop); err != nil {
			log.Warn("shutdown", "err", err)
		}
	}()
	if node.AdminPassword != "" {
		fmt.Fprintf(os.Stderr, "\nCreated the administrator: login \"admin\", password %q (shown once; change it with PUT /api/users/admin)\n\n", node.AdminPassword)
	}
	if o.legacySigs {
		log.Warn("API keys: legacy signatures accepted for every method (--legacy-api-key-signatures): a captured signed URL can be replayed with another method or body")
	}
	if err := node.Start(ctx); err != nil {
		return err
	}
	indexer := distro.NewIndexer(node.Store, mirrors, distro.IndexerOptions{Logger: log})
	go keepIndexesFresh(ctx, indexer, o.indexMaxAge, log)

	srv := o.newHTTPServer(node.Handler)
	log.Info("kiln serving", "url", o.publicURL, "database", redactDSN(node.DatabaseDSN()), "data", o.data,
		"workers", o.workers, "mirror", mirrors.String())
	fmt.Fprintf(os.Stderr, "Kiln is serving the API at %s (try: curl -u admin:PASSWORD %s/users/admin)\n", o.publicURL, o.publicURL)

	errc := make(chan error, 1)
	go func() { errc <- serveOn(srv, limitConns(ln, o.maxConnsPerIP, log), tlsConfig) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loadMirrors uses --mirror when given, else the Debian mirror apt is configured with.
func loadMirrors(mirror, aptRoot string, log *slog.Logger) (*distro.Mirrors, error) {
	if mirror != "" {
		return distro.NewMirrors(mirror, nil)
	}
	m, err := distro.LoadMirrors(aptRoot, nil, log)
	if err != nil {
		return nil, fmt.Errorf("mirrors: %w", err)
	}
	return m, nil
}

// keepIndexesFresh loads missing package indexes at start, then refreshes those
// older than maxAge, checking four times per maxAge, until ctx ends.
func keepIndexesFresh(ctx context.Context, ix *distro.Indexer, maxAge time.Duration, log *slog.Logger) {
	tick := time.NewTicker(max(maxAge/4, time.Minute))
	defer tick.Stop()
	for {
		if err := ix.EnsureFresh(ctx, maxAge); err != nil && ctx.Err() == nil {
			log.Warn("some package indexes could not be refreshed; retrying later", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// redactDSN hides a password in a PostgreSQL URL for the log.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			if colon := strings.Index(dsn[i+3:at], ":"); colon >= 0 {
				return dsn[:i+3+colon+1] + "***" + dsn[at:]
			}
		}
	}
	return dsn
}
