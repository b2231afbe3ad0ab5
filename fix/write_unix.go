//go:build unix

package fix

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// keepOwner gives tmp the owner and group of the file it replaces; a file
// whose owner cannot be kept (another user's file, not running as root) is
// not written.
func keepOwner(tmp *os.File, st fs.FileInfo) error {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	tst, err := tmp.Stat()
	if err != nil {
		return err
	}
	if own, ok := tst.Sys().(*syscall.Stat_t); ok && own.Uid == sys.Uid && own.Gid == sys.Gid {
		return nil
	}
	if err := tmp.Chown(int(sys.Uid), int(sys.Gid)); err != nil {
		return fmt.Errorf("cannot keep its owner %d:%d: %w", sys.Uid, sys.Gid, err)
	}
	return nil
}

// syncDir fsyncs a directory so that the renames in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
