package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/kilnhq/kiln/internal/debian"
	"github.com/kilnhq/kiln/internal/record"
)

// listPackages returns the installed packages sorted by name, then architecture.
// A missing extended_states only means no package is known to be automatic.
func listPackages(ctx context.Context, t *tree) ([]record.ScanPackage, error) {
	auto, err := readAutoInstalled(ctx, t)
	if err != nil {
		return nil, err
	}
	var pkgs []record.ScanPackage
	err = readInstalled(ctx, t, func(p installedPackage) error {
		pkgs = append(pkgs, record.ScanPackage{
			Name:            p.Name,
			Version:         p.Version,
			Arch:            p.Arch,
			InstalledSizeKB: p.InstalledSize,
			Auto:            auto[p.Name+":"+p.Arch] || auto[p.Name+":"],
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(pkgs, func(a, b record.ScanPackage) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Arch, b.Arch))
	})
	return pkgs, nil
}

// readAutoInstalled returns the "name:arch" keys (arch empty when the stanza has
// none) of the packages apt marked as automatically installed.
func readAutoInstalled(ctx context.Context, t *tree) (map[string]bool, error) {
	f, err := t.open(aptExtendedStates)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open apt extended_states: %w", err)
	}
	defer f.Close()
	auto := map[string]bool{}
	err = readParagraphs(ctx, f, []string{"Package", "Architecture", "Auto-Installed"}, func(s debian.Paragraph) error {
		if s.Get("Auto-Installed") == "1" && s.Get("Package") != "" {
			auto[s.Get("Package")+":"+s.Get("Architecture")] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read apt extended_states: %w", err)
	}
	return auto, nil
}
