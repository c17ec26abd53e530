package scan

import (
	"context"
	"fmt"

	"github.com/kilnhq/kiln/internal/record"
)

// notes collects the non-fatal problems of an inventory for the report: what the
// scan could not read is as important to the user as what it found.
type notes struct{ list []string }

func (n *notes) add(format string, args ...any) {
	n.list = append(n.list, fmt.Sprintf(format, args...))
}

// readProfile reads the install profile. Problems with one part (an unreadable
// shadow, an odd fstab line) become notes; only a cancelled context fails it.
func readProfile(ctx context.Context, t *tree, n *notes) (record.ScanProfile, error) {
	var p record.ScanProfile
	p.Hostname = readHostname(t, n)
	readAccounts(t, &p, n)
	p.Timezone = readTimezone(t, n)
	p.Keyboard = readKeyboard(t, n)
	p.Locale = readLocale(t, n)
	p.Kernel, p.KernelDropped = readKernelParameters(t, n)
	p.Filesystems, p.Swap = readFilesystems(t, n)
	for _, s := range p.Swap {
		p.SwapBytes += s.SizeBytes
	}
	if err := ctx.Err(); err != nil {
		return p, err
	}
	p.Network = readNetwork(t, n)
	p.Services = readServices(t, n)
	return p, ctx.Err()
}
