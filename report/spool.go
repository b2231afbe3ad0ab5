package report

import (
	"bufio"
	"bytes"
	"io"
	"os"
)

// spoolMemLimit is how much text a spool keeps in memory before it moves
// to a temporary file: a report of a few thousand findings never touches
// the disk, a larger one holds at most this much per spool in memory. A
// variable so tests can make spools reach their files.
var spoolMemLimit = 256 << 10

// spools hands out spools that share one private temporary directory, made
// when the first spool outgrows memory and removed by close. A spool holds
// rendered report text (what the report itself will contain, after the
// result's transforms such as redaction), never the store's raw findings.
type spools struct {
	dir    string
	dirErr error // the directory could not be made: every spool stays in memory
	all    []*spool
}

// spool collects text written in pieces, to be copied out once, in order:
// in memory up to spoolMemLimit, then in a temporary file (in memory to
// the end when the file cannot be made or written).
type spool struct {
	set *spools
	mem bytes.Buffer
	f   *os.File      // nil while in memory
	buf *bufio.Writer // over f
	err error         // the first write error to the file
	// inMemory: no file could be made; the spool stays in memory.
	inMemory bool
}

// new returns an empty spool of the set.
func (s *spools) new() *spool {
	p := &spool{set: s}
	s.all = append(s.all, p)
	return p
}

// Write implements io.Writer; it never fails (a file that cannot be
// written is reported by copyTo).
func (p *spool) Write(b []byte) (int, error) {
	if p.f == nil && !p.inMemory && p.mem.Len()+len(b) > spoolMemLimit {
		p.toFile()
	}
	if p.f == nil {
		return p.mem.Write(b)
	}
	if p.err == nil {
		_, p.err = p.buf.Write(b)
	}
	return len(b), nil
}

// toFile moves the spool's text to a new file in the set's directory; when
// none can be made the spool stays in memory.
func (p *spool) toFile() {
	s := p.set
	if s.dir == "" && s.dirErr == nil {
		s.dir, s.dirErr = os.MkdirTemp("", "sagefence-report-")
	}
	if s.dirErr != nil {
		p.inMemory = true
		return
	}
	f, err := os.CreateTemp(s.dir, "spool-")
	if err != nil {
		p.inMemory = true
		return
	}
	p.f, p.buf = f, bufio.NewWriterSize(f, 64<<10)
	_, p.err = p.buf.Write(p.mem.Bytes())
	p.mem = bytes.Buffer{}
}

// copyTo writes the spool's text to w.
func (p *spool) copyTo(w io.Writer) error {
	if p.f == nil {
		_, err := w.Write(p.mem.Bytes())
		return err
	}
	if p.err == nil {
		p.err = p.buf.Flush()
	}
	if p.err != nil {
		return p.err
	}
	if _, err := p.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(w, p.f)
	return err
}

// close removes every spool's file and the directory.
func (s *spools) close() {
	for _, p := range s.all {
		if p.f != nil {
			p.f.Close()
		}
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}
