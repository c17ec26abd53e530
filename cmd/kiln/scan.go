package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/internal/cli"
	"github.com/kilnhq/kiln/internal/client"
	"github.com/kilnhq/kiln/internal/scan/upload"
)

// scanOptions are uforge-scan's flags, so that hammr (and scripts written for
// the UForge agent) can drive `kiln scan` unchanged.
type scanOptions struct {
	user, password, publicKey, secretKey string
	url, name, tmp, root, logLevel       string
	caCert                               string
	overlay, preflight                   bool
	exclude                              []string
}

func newScanCmd() *cobra.Command {
	var o scanOptions
	cmd := &cobra.Command{
		Use:   "scan -u LOGIN (-p PASSWORD | -a PUBKEY -s SECRET) -U URL -n NAME [-o] [-e PATH]…",
		Short: "Scan this machine (or a mounted one) and send the scan to a Kiln server",
		Long: `Scan a Debian system and send it to the API at --url: the inventory (distribution,
packages, install profile) as a scan of the scanned instance --name (created if
needed), then the overlay: the files a fresh install of the same packages would
not reproduce, streamed as a tar while it is uploaded (nothing is staged on disk).
Without -o only modified package files go; with -o every added file too.

-P runs the preflight checks (this system, the server, the credentials) and exits.
The flags are those of UForge's uforge-scan agent.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd); err != nil {
				return err
			}
			return runScan(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.user, "user", "u", "", "login on the server")
	f.StringVarP(&o.password, "password", "p", "", "password (or -a and -s)")
	f.StringVarP(&o.publicKey, "publickey", "a", "", "API public key (with -s)")
	f.StringVarP(&o.secretKey, "secretkey", "s", "", "API secret key (with -a)")
	f.StringVarP(&o.url, "url", "U", "", "API base URL, e.g. http://host:8080/api")
	f.StringVarP(&o.name, "name", "n", "", "scanned instance name; an existing one groups this scan (required)")
	f.BoolVarP(&o.overlay, "overlay", "o", false, "send every added and modified file (the overlay)")
	f.StringArrayVarP(&o.exclude, "exclude", "e", nil, "absolute path left out of the overlay, with its contents (repeatable)")
	f.StringVarP(&o.tmp, "tmp", "t", os.TempDir(), "working directory, only checked for free space: nothing is staged")
	f.BoolVarP(&o.preflight, "preflight", "P", false, "run the preflight checks, print them and exit")
	f.StringVar(&o.root, "root", "/", "root of the system to scan (a mounted filesystem scans offline)")
	f.StringVar(&o.logLevel, "log-level", "warn", "debug, info, warn or error")
	f.StringVar(&o.caCert, "ca-cert", "", "PEM file of the CA that signed an https server's certificate, trusted besides the system's (a Kiln addition)")
	return cmd
}

func (o *scanOptions) validate() error {
	var errs []error
	if o.user == "" {
		errs = append(errs, errors.New("-u/--user is required"))
	}
	if u, err := url.Parse(o.url); o.url == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("-U/--url must be the API's base URL, e.g. http://host:8080/api (got %q)", o.url))
	}
	keys := o.publicKey != "" || o.secretKey != ""
	switch {
	case o.password != "" && keys:
		errs = append(errs, errors.New("-p/--password and -a/--publickey with -s/--secretkey are mutually exclusive"))
	case o.password == "" && (o.publicKey == "" || o.secretKey == ""):
		errs = append(errs, errors.New("credentials: give -p PASSWORD, or -a PUBLICKEY and -s SECRETKEY"))
	}
	if o.name == "" && !o.preflight {
		errs = append(errs, errors.New("-n/--name is required"))
	}
	return errors.Join(errs...)
}

func runScan(cmd *cobra.Command, o scanOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("log level %q: %w", o.logLevel, err)
	}
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	hc, err := agentHTTP(o.caCert)
	if err != nil {
		return err
	}
	opts := upload.Options{
		Client: &client.Client{
			BaseURL: o.url, User: o.user, Password: o.password, PublicKey: o.publicKey, SecretKey: o.secretKey,
			HTTP: hc, UserAgent: "kiln-scan/" + version, Logger: log,
		},
		User: o.user, Name: o.name, Root: o.root, Overlay: o.overlay, Exclude: o.exclude, TempDir: o.tmp,
		AgentVersion: "kiln-scan/" + version, Progress: cmd.ErrOrStderr(), Logger: log,
	}
	if o.preflight {
		checks, err := upload.Preflight(cmd.Context(), opts)
		fmt.Fprint(cmd.OutOrStdout(), checks.String())
		return err
	}
	res, err := upload.Run(cmd.Context(), opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Scan successful: scan %d of instance %d\n", res.ScanID, res.InstanceID)
	return nil
}

// agentHTTP is the agent's HTTP client: the default one, or with --ca-cert a
// copy that also trusts that CA (`scan run --ip` passes the CA the client
// trusts, so that the agent reaches the same https server).
func agentHTTP(caCert string) (*http.Client, error) {
	if caCert == "" {
		return nil, nil // client.Client's default
	}
	pool, err := cli.LoadCAs(caCert)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr}, nil
}
