// Package scan is the inventory half of the scan agent: it describes a Debian
// machine (live, root "/", or a mounted tree for offline scans) the way Kiln needs
// to rebuild it.
//
//   - Inventory: distribution, installed packages and the install profile
//     (accounts, SSH keys, locale, filesystems, network, services), as the stored
//     scan report (record.ScanReport); Spec and Install map it onto a build spec.
//   - Overlay: streams, in a deterministic order, every filesystem entry that a
//     fresh installation of the same packages would not reproduce (added files,
//     modified package files), for the caller to archive and upload. Package
//     files are compared with dpkg's md5sums, except those whose inode has not
//     changed since dpkg installed them (owner.untouchedSince).
//   - Preflight: the checks behind the agent's -P flag.
//
// Everything reads the scanned tree through tree, which resolves symlinks the way
// the scanned system would (absolute targets are relative to the scanned root), so
// an offline scan never reads the host's files through a link in the image, and the
// overlay walk never follows a symlink at all.
//
// The scanned machine is arbitrary input: unreadable or odd entries are skipped and
// counted, never fatal, and nothing panics on them.
package scan
