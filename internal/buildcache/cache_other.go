//go:build !unix

package buildcache

import (
	"io/fs"
)

// noFollow: no O_NOFOLLOW here; privateDir has already refused a symlinked directory.
const noFollow = 0

// FileOwner: ownership is not a uid here; only the symlink, directory and mode checks apply.
func FileOwner(fs.FileInfo) (int, bool) { return 0, false }

// fileInode returns 0: this platform's file information has no inode.
func fileInode(fs.FileInfo) uint64 { return 0 }
