package buildcache

import (
	"fmt"
	"io/fs"
	"syscall"
)

// fileStamp identifies the file st describes and its last write: device, inode, size,
// modification and change times (the change time, which no one can set, moves with every
// write, rename, chmod or Chtimes).
func fileStamp(st fs.FileInfo) string {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d %d %d %d.%09d %d.%09d", s.Dev, s.Ino, s.Size, s.Mtim.Sec, s.Mtim.Nsec, s.Ctim.Sec, s.Ctim.Nsec)
}
