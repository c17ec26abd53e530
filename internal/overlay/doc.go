// Package overlay checks, lists and applies overlay archives: the tar stream
// in which a scan agent uploads every file, directory, symlink and named pipe
// of a machine that no Debian package provides unchanged, and which a scan
// image's generation lays over a freshly bootstrapped root tree.
//
// An overlay is untrusted input. [Check] and [Apply] share one reader that
// validates each member before anyone sees it:
//
//   - names are relative ("etc/hosts", "./etc/hosts"); an absolute name, a ".."
//     component, an empty name, a NUL byte, a name of more than 4096 bytes or
//     a component of more than 255 is rejected, and so is any name that
//     cleans to the root except the directory "./" (or ".");
//   - regular files, directories, symlinks, hard links and named pipes are
//     accepted (the scanner emits pipes: postfix's public/pickup, for one);
//     device nodes, sparse files, PAX global headers and other types are not;
//   - a symlink may point anywhere (absolute targets are normal:
//     /etc/alternatives), but no later member may have it among its parents:
//     "etc/evil -> /" followed by "etc/evil/passwd" is rejected;
//   - a parent that the archive made a file, a hard link or a pipe is
//     rejected, as is the same path twice;
//   - a hard link must name a regular file (or hard link) earlier in the same
//     archive, reached through no symlink of the archive;
//   - extended attributes are kept only for security.capability and user.*,
//     on files and directories; others are ignored;
//   - [Limits] bound the whole uncompressed stream as it is read, each file,
//     the number of members and how many times a gzip stream expands, so
//     neither a lying header nor a decompression bomb gets around them;
//   - the stream must end with the tar end-of-archive marker, followed by
//     nothing but zero padding, so a truncated upload is not taken for a
//     complete one.
//
// Every refusal wraps [ErrRejected] and names the member. A gzip-compressed
// stream is recognised by its magic and decompressed on the fly.
//
// Memory stays bounded whatever the archive: contents are streamed in 1 MiB
// chunks, and the only state that grows is a 16-byte digest per member (for
// duplicates, parents and hard-link targets) and, in Apply, the inode
// number of each file extracted, at most MaxEntries of them.
package overlay
