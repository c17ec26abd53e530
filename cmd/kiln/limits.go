package main

import (
	"net/http"
	"time"

	"github.com/spf13/pflag"

	"github.com/kilnhq/kiln/internal/service"
)

// limitFlags are kiln serve's bounds on what one client may take: per-user
// quotas and generations at once, the life of an unused download key, and
// the HTTP server's timeouts and connections per address.
type limitFlags struct {
	quotaAppliances    int64
	quotaImages        int64
	quotaScans         int64
	quotaDiskGB        int64
	generationsPerUser int64
	downloadKeyTTL     time.Duration
	idleTimeout        time.Duration
	readTimeout        time.Duration
	writeTimeout       time.Duration
	stallTimeout       time.Duration
	maxConnsPerIP      int
}

func (l *limitFlags) register(f *pflag.FlagSet) {
	f.Int64Var(&l.quotaAppliances, "quota-appliances", 0, "appliances a user may hold unless an administrator set otherwise (0: no limit)")
	f.Int64Var(&l.quotaImages, "quota-images", 200, "images a user may hold unless an administrator set otherwise (0: no limit)")
	f.Int64Var(&l.quotaScans, "quota-scans", 50, "scans a user may hold unless an administrator set otherwise (0: no limit)")
	f.Int64Var(&l.quotaDiskGB, "quota-disk-gb", 100, "GiB of images and overlays a user may store unless an administrator set otherwise (0: no limit)")
	f.Int64Var(&l.generationsPerUser, "generations-per-user", 4, "generations one user may have queued or running at once (0: no limit)")
	f.DurationVar(&l.downloadKeyTTL, "download-key-ttl", 24*time.Hour, "how long an unused download link works (reading the image shows a fresh one)")
	f.DurationVar(&l.idleTimeout, "idle-timeout", time.Minute, "how long an idle keep-alive connection is kept open")
	f.DurationVar(&l.readTimeout, "read-timeout", time.Minute, "longest time to read a request (uploads excepted: see --stall-timeout)")
	f.DurationVar(&l.writeTimeout, "write-timeout", 2*time.Minute, "longest time to answer a request (downloads excepted: see --stall-timeout)")
	f.DurationVar(&l.stallTimeout, "stall-timeout", time.Minute, "longest time an upload or download may go without moving a byte")
	f.IntVar(&l.maxConnsPerIP, "max-conns-per-ip", 64, "open connections one client address may have at once (0: no limit)")
}

// quotas are the per-user defaults the flags set.
func (l *limitFlags) quotas() service.QuotaDefaults {
	return service.QuotaDefaults{Appliances: l.quotaAppliances, Images: l.quotaImages, Scans: l.quotaScans,
		DiskBytes: l.quotaDiskGB << 30, ActiveGenerations: l.generationsPerUser}
}

// newHTTPServer serves h with the flags' timeouts. Read and write timeouts
// bound every request; the API lifts them on its upload and download routes,
// which are bounded by --stall-timeout instead (internal/api, streaming.go).
func (l *limitFlags) newHTTPServer(h http.Handler) *http.Server {
	header := 10 * time.Second // a client that cannot send headers in that time is not one
	if l.readTimeout > 0 {
		header = min(header, l.readTimeout)
	}
	return &http.Server{Handler: h, ReadHeaderTimeout: header,
		ReadTimeout: l.readTimeout, WriteTimeout: l.writeTimeout, IdleTimeout: l.idleTimeout}
}
