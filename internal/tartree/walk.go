package tartree

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// visitFunc receives one entry below the root: rel in "/etc/x" form and the
// absolute path on disk. Returning fs.SkipDir for a directory keeps walk out
// of it.
type visitFunc func(ctx context.Context, rel, abs string, d fs.DirEntry) error

// walk visits the tree depth first, entries of a directory sorted by name
// (os.ReadDir sorts bytewise) and each directory before its contents. Only
// one directory listing per level of depth is held at a time, never the tree.
// Symbolic links are visited, not followed.
func walk(ctx context.Context, root string, exclude func(string, fs.DirEntry) bool, visit visitFunc) error {
	return walkDir(ctx, root, "", exclude, visit)
}

func walkDir(ctx context.Context, abs, rel string, exclude func(string, fs.DirEntry) bool, visit visitFunc) error {
	entries, err := os.ReadDir(abs)
	if err != nil {
		return fmt.Errorf("list directory %s: %w", abs, err)
	}
	for _, d := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		childRel := rel + "/" + d.Name()
		if exclude != nil && exclude(childRel, d) {
			continue
		}
		childAbs := filepath.Join(abs, d.Name())
		err := visit(ctx, childRel, childAbs, d)
		if err == fs.SkipDir {
			continue
		}
		if err != nil {
			return err
		}
		if d.IsDir() {
			if err := walkDir(ctx, childAbs, childRel, exclude, visit); err != nil {
				return err
			}
		}
	}
	return nil
}
