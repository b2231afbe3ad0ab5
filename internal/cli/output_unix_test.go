//go:build unix

package cli

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestOutputToNamedPipe: --output to something that is not a regular file
// (a FIFO here, /dev/null in practice) writes into it and leaves it in place.
func TestOutputToNamedPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "report.pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	read := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			read <- "open: " + err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		read <- string(b)
	}()
	code, _, stderr := runWith(t, cliRun{}, "scan", t.TempDir(), "--format", "json", "--output", fifo)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Checked before waiting for the reader, which never returns when the
	// pipe was replaced (no writer ever opened it).
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the named pipe was replaced by a file: %v", err)
	}
	if got := <-read; !strings.Contains(got, `"format_version"`) {
		t.Errorf("the pipe's reader got %q", got)
	}
}
