// Package client is the Go client of Kiln's UForge-compatible API, used by the
// CLI commands (the scan agent first) and by end-to-end tests.
//
// It speaks JSON with the wire codec of internal/uforge, authenticates with HTTP
// Basic or an API key signature (Kiln's v1 form, internal/auth), turns
// every non-2xx answer into an *APIError, and retries idempotent reads on
// network failures. Uploads that must resume (the scan overlay) use Send, one
// attempt at a time, and handle their own retries.
package client

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/uforge"
)

// Client calls one API server as one user. Its fields are read-only once
// requests are made, so a Client may be shared by goroutines.
type Client struct {
	// BaseURL is the API base, e.g. "http://host:8080/api". Paths given to the
	// methods are relative to it.
	BaseURL string
	// User and Password select HTTP Basic. Otherwise PublicKey and SecretKey
	// sign every request (auth.SignV1). With neither, requests are anonymous.
	User, Password       string
	PublicKey, SecretKey string
	// HTTP is the HTTP client; nil means http.DefaultClient.
	HTTP      *http.Client
	UserAgent string
	// Retries is how many times an idempotent request (GET, HEAD) is repeated
	// after a network error or a 502/503/504; 0 means DefaultRetries, a negative
	// value none. RetryWait is the first backoff delay (default 500ms), doubled
	// on every attempt and jittered.
	Retries   int
	RetryWait time.Duration
	Logger    *slog.Logger
}

// DefaultRetries is the retry count of idempotent requests when Client.Retries is 0.
const DefaultRetries = 4

// maxErrorBody bounds how much of an error answer is read: a uforgeError is small,
// and a misbehaving proxy must not make the client buffer an HTML page of any size.
const maxErrorBody = 1 << 20

// CRC32 is the crc query parameter of UForge uploads: CRC-32 (IEEE) of b as 8
// lowercase hex digits.
func CRC32(b []byte) string {
	return fmt.Sprintf("%08x", crc32.ChecksumIEEE(b))
}

// PathEscape escapes each segment and joins them with "/": the path argument of
// Do and Send for ids that come from users (logins, names).
func PathEscape(segments ...string) string {
	esc := make([]string, len(segments))
	for i, s := range segments {
		esc[i] = url.PathEscape(s)
	}
	return strings.Join(esc, "/")
}

// Do sends in (nil for no body) as JSON and decodes a 2xx answer into out (nil
// to discard it). path is relative to BaseURL with its segments escaped. A
// non-2xx answer is returned as an error wrapping *APIError. GET and HEAD are
// retried on network errors and gateway failures; nothing else is.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, in uforge.Root, out uforge.Root) error {
	var body []byte
	contentType := ""
	if in != nil {
		var buf bytes.Buffer
		if err := uforge.EncodeJSON(&buf, in); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		body, contentType = buf.Bytes(), "application/json"
	}
	return c.call(ctx, method, path, query, contentType, body, out)
}

// call is Do with a raw body: the retry loop, the status check and the decoding.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, contentType string, body []byte, out uforge.Root) error {
	retries := c.Retries
	if retries == 0 {
		retries = DefaultRetries
	}
	if method != http.MethodGet && method != http.MethodHead {
		retries = 0 // a repeated POST could create twice: the caller decides
	}
	for attempt := 0; ; attempt++ {
		req, err := c.NewRequest(ctx, method, path, query, contentType, body)
		if err != nil {
			return err // a bad base URL does not get better with time
		}
		resp, err := c.httpClient().Do(req)
		if err == nil && !retryableStatus(resp.StatusCode) {
			return finish(resp, method, path, out)
		}
		if err == nil {
			err = readError(resp) // a gateway failure: worth another try
		}
		if ctx.Err() != nil || attempt >= retries {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		wait := Backoff(attempt, c.retryWait(), 30*time.Second)
		c.logger().Debug("client: retrying", "method", method, "path", path, "attempt", attempt+1, "wait", wait, "err", err)
		if err := Sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
}

// finish checks resp's status and decodes its body into out.
func finish(resp *http.Response, method, path string, out uforge.Root) error {
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s %s: %w", method, path, readError(resp))
	}
	if out == nil || resp.StatusCode == http.StatusNoContent || method == http.MethodHead {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody)) // lets the connection be reused
		return nil
	}
	if err := uforge.DecodeJSON(resp.Body, out); err != nil {
		return fmt.Errorf("%s %s: decode %s: %w", method, path, out.RootName(), err)
	}
	return nil
}

func retryableStatus(code int) bool {
	return code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

// Send makes one attempt at a request and returns the answer whatever its
// status; the caller closes its body (ErrorFrom reads an error answer). body
// is sent with contentType (when not ""). It is the building block of uploads
// that resume on their own terms.
func (c *Client) Send(ctx context.Context, method, path string, query url.Values, contentType string, body []byte) (*http.Response, error) {
	req, err := c.NewRequest(ctx, method, path, query, contentType, body)
	if err != nil {
		return nil, err
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp, nil
}

// NewRequest builds an authenticated request for path (relative to BaseURL,
// segments escaped) with query.
func (c *Client) NewRequest(ctx context.Context, method, path string, query url.Values, contentType string, body []byte) (*http.Request, error) {
	base, err := url.Parse(strings.TrimSuffix(c.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("client: base URL %q: want an absolute http(s) URL", c.BaseURL)
	}
	raw := base.String() + "/" + strings.TrimPrefix(path, "/")
	if len(query) > 0 {
		raw += "?" + query.Encode()
	}
	bodyHash := ""
	if c.signs() {
		// Kiln's v1 form: the signature covers the method, the path relative to
		// the base (whose own path, "/api", the server strips too), the query,
		// the time and the body. Each attempt is signed anew: the server refuses
		// a signature it has seen.
		if raw, bodyHash, err = auth.SignV1(method, raw, base.EscapedPath(), c.PublicKey, c.SecretKey, body, time.Now()); err != nil {
			return nil, fmt.Errorf("client: sign %s: %w", path, err)
		}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body) // NewRequest sets ContentLength and GetBody from it
	}
	req, err := http.NewRequestWithContext(ctx, method, raw, rd)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType) // also on an empty body: an empty last chunk is still a chunk
	}
	if bodyHash != "" {
		req.Header.Set(auth.BodyHashHeader, bodyHash)
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if c.User != "" && c.Password != "" {
		req.SetBasicAuth(c.User, c.Password)
	}
	return req, nil
}

// signs reports whether requests carry an API key signature: only without a
// password, so that Basic wins when both are configured.
func (c *Client) signs() bool {
	return c.Password == "" && c.PublicKey != "" && c.SecretKey != ""
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) retryWait() time.Duration {
	if c.RetryWait > 0 {
		return c.RetryWait
	}
	return 500 * time.Millisecond
}

func (c *Client) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}
