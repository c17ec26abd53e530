// Package cli is the logic of kiln's client commands, which follow hammr's
// (UForge's command-line client): where the credentials come from, tables and
// JSON output, progress bars, polling of generations with cancel on Ctrl-C,
// downloads, and the hammr files read through internal/hammr. cmd/kiln only
// declares the commands and their flags.
package cli

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kilnhq/kiln/internal/client"
	"github.com/kilnhq/kiln/internal/hammr"
)

// Flags are the global flags of the client commands, as hammr spells them:
// -a/--url, -u/--user, -p/--password, -k/--publickey, -s/--secretkey,
// -c/--credentials, and --output; and Kiln's --ca-cert.
type Flags struct {
	URL, User, Password, PublicKey, SecretKey string
	Credentials                               string // -c FILE
	Output                                    string // table | json
	CACert                                    string // --ca-cert FILE
}

// EnvVars are the environment variables read for the settings, in the order
// of Flags (KILN_URL … KILN_SECRETKEY).
var EnvVars = []string{"KILN_URL", "KILN_USER", "KILN_PASSWORD", "KILN_PUBLICKEY", "KILN_SECRETKEY"}

// Settings are the resolved connection settings.
type Settings struct {
	URL, User, Password, PublicKey, SecretKey string
	// Insecure skips TLS verification (a credentials file's acceptAutoSigned).
	Insecure bool
	// CACert is the PEM file of --ca-cert (or KILN_CA_CERT), "" for none;
	// RootCAs are the system's roots plus its certificates.
	CACert  string
	RootCAs *x509.CertPool
	// CredentialsFile is the file read, if any.
	CredentialsFile string
	// Sources tells where each setting came from ("flag", "KILN_USER", a file).
	Sources map[string]string
}

// DefaultCredentialFiles are searched, in order, when -c is not given:
// Kiln's own file, then hammr's (contract §9.1).
func DefaultCredentialFiles(home string) []string {
	return []string{
		filepath.Join(home, ".config", "kiln", "credentials.yml"),
		filepath.Join(home, ".config", "kiln", "credentials.yaml"),
		filepath.Join(home, ".config", "kiln", "credentials.json"),
		filepath.Join(home, ".hammr", "credentials.yml"),
		filepath.Join(home, ".hammr", "credentials.json"),
	}
}

// layer is one source of settings.
type layer struct {
	name                                      string
	url, user, password, publicKey, secretKey string
}

// Resolve merges the settings: flags first, then the KILN_* environment
// variables, then the credentials file (-c FILE, else the first of
// DefaultCredentialFiles that exists). URL and user come from the first
// source that has them; the password or key pair from the first source that
// has either (so a password flag overrides a file's key pair), and one source
// giving both is an error, as in hammr. Warnings name unknown keys of the file.
func Resolve(f Flags, getenv func(string) string, home string) (*Settings, []string, error) {
	layers := []layer{{name: "flag", url: f.URL, user: f.User, password: f.Password, publicKey: f.PublicKey, secretKey: f.SecretKey}}
	env := layer{name: "environment"}
	for i, p := range []*string{&env.url, &env.user, &env.password, &env.publicKey, &env.secretKey} {
		*p = getenv(EnvVars[i])
	}
	layers = append(layers, env)

	s := &Settings{Sources: map[string]string{}}
	var warns []string
	file := f.Credentials
	if file == "" {
		file = getenv("KILN_CREDENTIALS")
	}
	if file == "" && home != "" {
		for _, c := range DefaultCredentialFiles(home) {
			if _, err := os.Stat(c); err == nil {
				file = c
				break
			}
		}
	}
	if file != "" {
		c, w, err := hammr.LoadCredentials(file)
		if err != nil {
			return nil, nil, err
		}
		warns = append(warns, w...)
		s.CredentialsFile = file
		s.Insecure = c.InsecureTLS()
		layers = append(layers, layer{name: file, url: string(c.URL), user: string(c.User), password: string(c.Password),
			publicKey: string(c.PublicKey), secretKey: string(c.SecretKey)})
	}

	for _, l := range layers {
		if s.URL == "" && l.url != "" {
			s.URL, s.Sources["url"] = l.url, l.name
		}
		if s.User == "" && l.user != "" {
			s.User, s.Sources["user"] = l.user, l.name
		}
	}
	for _, l := range layers {
		hasPW, hasKeys := l.password != "", l.publicKey != "" || l.secretKey != ""
		if !hasPW && !hasKeys {
			continue
		}
		if hasPW && hasKeys {
			return nil, nil, fmt.Errorf("credentials (%s): a password and an API key pair are mutually exclusive", l.name)
		}
		if hasKeys && (l.publicKey == "" || l.secretKey == "") {
			return nil, nil, fmt.Errorf("credentials (%s): the public key (-k) and the secret key (-s) go together", l.name)
		}
		s.Password, s.PublicKey, s.SecretKey = l.password, l.publicKey, l.secretKey
		s.Sources["auth"] = l.name
		break
	}

	var errs []error
	if s.URL == "" {
		errs = append(errs, errors.New("no server: give -a/--url URL (e.g. http://host:8080/api), KILN_URL, or a credentials file"))
	} else if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("the URL %q (from %s) is not the API's base URL, e.g. http://host:8080/api", s.URL, s.Sources["url"]))
	}
	if s.User == "" {
		errs = append(errs, errors.New("no user: give -u/--user LOGIN, KILN_USER, or a credentials file"))
	}
	if s.Sources["auth"] == "" {
		errs = append(errs, errors.New("no credentials: give -p/--password, or -k/--publickey with -s/--secretkey (or KILN_PASSWORD, KILN_PUBLICKEY and KILN_SECRETKEY, or a credentials file)"))
	}
	if s.CACert = cmp.Or(f.CACert, getenv("KILN_CA_CERT")); s.CACert != "" {
		pool, err := LoadCAs(s.CACert)
		if err != nil {
			errs = append(errs, err)
		}
		s.RootCAs = pool
	}
	if len(errs) > 0 {
		return nil, warns, errors.Join(errs...)
	}
	s.URL = strings.TrimSuffix(s.URL, "/")
	return s, warns, nil
}

// LoadCAs returns the system's root certificates plus those of the PEM file
// at path: a server with a private CA is then trusted without losing the
// public ones (a proxy in front, image downloads elsewhere).
func LoadCAs(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--ca-cert: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool() // no system roots here: the file's alone
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-cert %s: no PEM certificate in it", path)
	}
	return pool, nil
}

// NewClient returns an API client for s. Requests time out after two minutes
// without an answer (hammr's SDK timeout); a download's body may take longer.
func NewClient(s *Settings, userAgent string) *client.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
	}
	switch {
	case s.Insecure:
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // hammr's acceptAutoSigned
	case s.RootCAs != nil:
		tr.TLSClientConfig = &tls.Config{RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}
	}
	return &client.Client{
		BaseURL: s.URL, User: s.User, Password: s.Password, PublicKey: s.PublicKey, SecretKey: s.SecretKey,
		HTTP: &http.Client{Transport: tr}, UserAgent: userAgent,
		// A few quick retries of reads: a command line should not hang for
		// long on a server that is down.
		Retries: 2, RetryWait: 250 * time.Millisecond,
	}
}
