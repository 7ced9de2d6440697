//go:build unix

package buildcache

import (
	"io/fs"
	"syscall"
)

// noFollow makes opening the cache lock fail on a symlink.
const noFollow = syscall.O_NOFOLLOW

// FileOwner returns the uid owning the file st describes (false where ownership is no uid).
func FileOwner(st fs.FileInfo) (int, bool) {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(s.Uid), true
}

// fileInode returns the inode number of the file st describes.
func fileInode(st fs.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Ino)
	}
	return 0
}
