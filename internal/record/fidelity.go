package record

// Fidelity compares a scanned machine with the image generated from it: every
// file of the overlay (what no package provided unchanged on the source) is
// looked up in the built tree, and every scanned package in the image's dpkg
// database. Package-provided files are the packages' own, so an identical
// package version means identical files. internal/generate computes it.
type Fidelity struct {
	Files    FileFidelity    `json:"files"`
	Packages PackageFidelity `json:"packages"`
	// Accounts are the source's system accounts and groups the image has
	// with another id: a package created them with its own, which wins.
	Accounts []AccountDiff `json:"accounts,omitempty"`
	// KernelParametersDropped are the source's kernel parameters the image
	// does not carry (its old boot loader's or platform's), with the reason:
	// the scan report's list, joined to the report when it is read.
	KernelParametersDropped []DroppedParameter `json:"kernelParametersDropped,omitempty"`
}

// AccountDiff is one account ("user") or group ("group") whose id differs.
type AccountDiff struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Source int    `json:"source"`
	Image  int    `json:"image"`
}

// FileFidelity is the per-file half of a fidelity report. The lists are
// bounded (the generator keeps the first 1000 of each); the counts are exact.
type FileFidelity struct {
	Compared  int        `json:"compared"`
	Same      int        `json:"same"`
	Missing   []string   `json:"missing,omitempty"`
	Differing []FileDiff `json:"differing,omitempty"`
	// Skipped are overlay paths the image build owns by design (the boot
	// files, fstab, accounts, network configuration …).
	Skipped        []string `json:"skipped,omitempty"`
	MissingCount   int      `json:"missingCount"`
	DifferingCount int      `json:"differingCount"`
	SkippedCount   int      `json:"skippedCount"`
}

// FileDiff is one overlay path whose copy in the image differs.
type FileDiff struct {
	Path   string `json:"path"`
	What   string `json:"what"` // kind, content, mode, owner or target
	Source string `json:"source"`
	Image  string `json:"image"`
}

// PackageFidelity is the per-package half of a fidelity report.
type PackageFidelity struct {
	Compared  int           `json:"compared"`
	Same      int           `json:"same"`
	Missing   []string      `json:"missing,omitempty"`
	Differing []PackageDiff `json:"differing,omitempty"`
	// Extra are installed in the image but were not on the source (a kernel
	// and boot loader for a machine that had none, the agents of the target).
	Extra []string `json:"extra,omitempty"`
}

// PackageDiff is a package installed in another version than scanned.
type PackageDiff struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Image  string `json:"image"`
}
