//go:build unix

package safefs

import (
	"os"
	"syscall"
)

// openFlags open a FIFO without waiting for a writer and never make a
// terminal the controlling one.
const openFlags = syscall.O_NONBLOCK | syscall.O_NOCTTY

// noFollow makes an open fail on a symlink (Jail.readInResolvedDir).
const noFollow = syscall.O_NOFOLLOW

// clearNonblock puts a regular file back in blocking mode (reads of regular
// files never block; this keeps the runtime poller out of it).
func clearNonblock(f *os.File) error {
	return syscall.SetNonblock(int(f.Fd()), false)
}
