//go:build !unix

package loader

import (
	"io/fs"
	"os"
)

// noFollow: no O_NOFOLLOW here; privateDir has already refused a symlinked directory.
const noFollow = 0

// fileOwner: ownership is not a uid here; only the symlink, directory and mode checks apply.
func fileOwner(fs.FileInfo) (int, bool) { return 0, false }

// tryLockExclusive: without flock, never collect, so no binary in use can be removed.
func tryLockExclusive(*os.File) (bool, error) { return false, nil }

// lockShared: nothing to wait for, since no run collects.
func lockShared(*os.File) error { return nil }
