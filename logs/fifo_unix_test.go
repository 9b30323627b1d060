//go:build unix

package logs

import "syscall"

func mkfifo(path string) { syscall.Mkfifo(path, 0o644) }
