package report

import (
	"bufio"
	"bytes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sagefence/sagefence/internal/seal"
)

// spoolMemLimit is how much text a spool keeps in memory before it moves
// to a temporary file: a report of a few thousand findings never touches
// the disk, a larger one holds at most this much per spool in memory. A
// variable so tests can make spools reach their files.
var spoolMemLimit = 256 << 10

// spoolBlock is the size of the blocks a spool on file seals and writes.
const spoolBlock = 64 << 10

// spools hands out spools that share one private temporary directory (0700,
// files 0600), made when the first spool outgrows memory and removed by
// close. What a spool writes there is sealed (AES-256-GCM, under a key drawn
// with the directory and kept only in memory), as the findings store's runs
// are: a run killed before close leaves nothing readable behind.
type spools struct {
	dir    string
	aead   cipher.AEAD
	dirErr error // the directory could not be made: every spool stays in memory
	all    []*spool
}

// spool collects text written in pieces, to be copied out once, in order:
// in memory up to spoolMemLimit, then in a temporary file as sealed blocks
// (in memory to the end when the file cannot be made).
type spool struct {
	set *spools
	id  uint32 // the spool's index in its set: the first part of its nonces
	// mem holds the text while in memory; on file, the block being filled.
	mem    bytes.Buffer
	f      *os.File      // nil while in memory
	buf    *bufio.Writer // over f
	blocks uint64        // blocks written: the second part of the next nonce
	err    error         // the first error writing the file
	// inMemory: no file could be made; the spool stays in memory.
	inMemory bool
}

// new returns an empty spool of the set.
func (s *spools) new() *spool {
	p := &spool{set: s, id: uint32(len(s.all))}
	s.all = append(s.all, p)
	return p
}

// Write implements io.Writer; it never fails (an error writing the file is
// reported by copyTo).
func (p *spool) Write(b []byte) (int, error) {
	if p.f == nil && !p.inMemory && p.mem.Len()+len(b) > spoolMemLimit {
		p.toFile()
	}
	p.mem.Write(b)
	if p.f != nil && p.mem.Len() >= spoolBlock {
		p.seal()
	}
	return len(b), nil
}

// toFile moves the spool to a new file in the set's directory (the text so
// far is sealed at the next block); when none can be made the spool stays
// in memory.
func (p *spool) toFile() {
	s := p.set
	if s.dir == "" && s.dirErr == nil {
		s.dirErr = s.makeDir()
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
	p.f, p.buf = f, bufio.NewWriterSize(f, spoolBlock)
}

// makeDir makes the set's directory and its key.
func (s *spools) makeDir() error {
	aead, err := seal.NewAEAD()
	if err != nil {
		return err
	}
	s.aead = aead
	s.dir, err = os.MkdirTemp("", "sagefence-report-")
	return err
}

// nonce is the nonce of a spool's n-th block: unique per key, since the
// set's spools have distinct ids.
func (p *spool) nonce(n uint64) []byte {
	nonce := make([]byte, p.set.aead.NonceSize())
	binary.BigEndian.PutUint32(nonce, p.id)
	binary.BigEndian.PutUint64(nonce[4:], n)
	return nonce
}

// seal writes the text in mem as the next block: its sealed length (4 bytes,
// big-endian), then the sealed text.
func (p *spool) seal() {
	if p.mem.Len() == 0 {
		return
	}
	sealed := p.set.aead.Seal(nil, p.nonce(p.blocks), p.mem.Bytes(), nil)
	p.blocks++
	p.mem.Reset()
	if p.err != nil {
		return
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(sealed)))
	if _, p.err = p.buf.Write(n[:]); p.err == nil {
		_, p.err = p.buf.Write(sealed)
	}
}

// copyTo writes the spool's text to w.
func (p *spool) copyTo(w io.Writer) error {
	if p.f == nil {
		_, err := w.Write(p.mem.Bytes())
		return err
	}
	p.seal()
	if p.err == nil {
		p.err = p.buf.Flush()
	}
	if p.err != nil {
		return fmt.Errorf("report spool: %w", p.err)
	}
	if _, err := p.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("report spool: %w", err)
	}
	r := bufio.NewReaderSize(p.f, spoolBlock)
	var sealed, text []byte
	for i := uint64(0); i < p.blocks; i++ {
		var n [4]byte
		if _, err := io.ReadFull(r, n[:]); err != nil {
			return fmt.Errorf("report spool: block %d: %w", i, err)
		}
		if size := int(binary.BigEndian.Uint32(n[:])); cap(sealed) < size {
			sealed = make([]byte, size)
		} else {
			sealed = sealed[:size]
		}
		if _, err := io.ReadFull(r, sealed); err != nil {
			return fmt.Errorf("report spool: block %d: %w", i, err)
		}
		var err error
		if text, err = p.set.aead.Open(text[:0], p.nonce(i), sealed, nil); err != nil {
			return fmt.Errorf("report spool: block %d: %w", i, err)
		}
		if _, err := w.Write(text); err != nil {
			return err
		}
	}
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		return errors.New("report spool: data after the last block")
	}
	return nil
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
