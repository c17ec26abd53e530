// Package debian is what Kiln knows about Debian itself, kept in one place:
//
//   - the releases (number, codename, release date) and which of them Kiln
//     builds (Releases, Lookup, ByNumber, ByCodename, IsArchiveSuite);
//   - the deb822 control-file format of dpkg's status, apt's extended_states
//     and .sources files and the archive's Packages indexes (Reader);
//   - the packages an image of a release needs to boot, or to run as a
//     system container (BootPackages, SystemContainerPackages).
//
// Version comparison is internal/debver's. The package imports nothing from
// Kiln.
package debian
