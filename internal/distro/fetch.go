package distro

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/ulikunitz/xz"
)

// maxIndexSize bounds a decompressed Packages file (bookworm main is ~45 MB), so
// that a broken or hostile mirror cannot fill memory or disk through us.
const maxIndexSize = 1 << 30

// errNoIndex means the mirror has no Packages file for a suite/component.
var errNoIndex = errors.New("no package index on the mirror")

// NewHTTPClient returns the client the indexer uses by default: bounded
// connection and header waits, and an overall limit per download.
func NewHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 10 * time.Minute,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   2,
		},
	}
}

// compressions are tried in order: every Debian suite has Packages.xz, the
// updates suites have no .gz, and .xz is the smaller download.
var compressions = []struct {
	ext  string
	open func(io.Reader) (io.Reader, error)
}{
	{".xz", func(r io.Reader) (io.Reader, error) { return xz.NewReader(r) }},
	{".gz", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
}

// openIndex downloads dists/<suite>/<component>/binary-<arch>/Packages.{xz,gz}
// and returns the decompressed stream. errNoIndex when the mirror has neither.
func openIndex(ctx context.Context, client *http.Client, src Source, component, arch string) (io.ReadCloser, string, error) {
	base := fmt.Sprintf("%s/dists/%s/%s/binary-%s/Packages", src.URI, src.Suite, component, arch)
	for _, c := range compressions {
		url := base + c.ext
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, url, fmt.Errorf("request %s: %w", url, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, url, fmt.Errorf("download %s: %w", url, err)
		}
		if resp.StatusCode == http.StatusNotFound {
			resp.Body.Close()
			continue
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, url, fmt.Errorf("download %s: %s", url, resp.Status)
		}
		// The xz decoder reads in tiny pieces; unbuffered it spends seconds in syscalls.
		r, err := c.open(bufio.NewReaderSize(resp.Body, 256<<10))
		if err != nil {
			resp.Body.Close()
			return nil, url, fmt.Errorf("decompress %s: %w", url, err)
		}
		return readCloser{Reader: &limitReader{r: r, left: maxIndexSize, url: url}, Closer: resp.Body}, url, nil
	}
	return nil, base, fmt.Errorf("%s{.xz,.gz}: %w", base, errNoIndex)
}

type readCloser struct {
	io.Reader
	io.Closer
}

// limitReader fails, rather than truncating silently like io.LimitReader, once
// more than left bytes were read: a truncated index must not replace a good one.
type limitReader struct {
	r    io.Reader
	left int64
	url  string
}

func (l *limitReader) Read(p []byte) (int, error) {
	// Read at most one byte past the limit: that byte proves the stream is too long.
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, fmt.Errorf("%s: decompressed index exceeds %d bytes", l.url, int64(maxIndexSize))
	}
	return n, err
}
