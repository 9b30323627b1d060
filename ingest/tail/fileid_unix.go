//go:build unix

package tail

import (
	"os"
	"syscall"
)

// statID returns the device and inode of a file: its identity across
// renames, which is what tells a rotated file from its replacement.
func statID(fi os.FileInfo) fileID {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}
	}
	return fileID{Dev: uint64(st.Dev), Ino: uint64(st.Ino), ok: true}
}
