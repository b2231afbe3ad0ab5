package finding

import (
	"bufio"
	"container/heap"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"

	"github.com/sagefence/sagefence/internal/seal"
)

// Seq is a finding's place in the order it was produced: the findings of a
// scan are reported sorted by Less, and findings Less does not order keep
// their production order (a stable sort). A scan whose sets finish out of
// order gives each finding the Seq of its place in the order it stands for
// (SeqOf), so that the Store can restore that order whatever the arrival.
type Seq uint64

// SeqOf is the sequence key of the pos-th finding of the set-th set.
func SeqOf(set, pos int) Seq { return Seq(uint64(set)<<32 | uint64(uint32(pos))) }

// DefaultSpillBudget is the memory a Store keeps findings in before it
// writes them to disk, as estimated by findingBytes.
const DefaultSpillBudget = 4 << 20

// defaultMaxRuns bounds the runs on disk, and so the files open while
// reading: past it, the runs are merged into one.
const defaultMaxRuns = 32

// StoreOptions configure a Store; the zero value is the default.
type StoreOptions struct {
	// Budget is the estimated size of the findings kept in memory; past
	// it they are sorted and written to disk as a run. Zero means
	// DefaultSpillBudget; tests set a tiny one to exercise the merge.
	Budget int64
	// MaxRuns bounds the runs on disk (zero means 32, at least 2).
	MaxRuns int
	// Dir is where the store's private temporary directory is created;
	// empty means os.TempDir().
	Dir string
}

// Store holds a scan's findings in the order a stable sort by Less of the
// findings in Seq order would give, with memory bounded by its budget: the
// findings are kept in memory until they exceed it, then sorted and written
// as a run to a file of a private temporary directory (mode 0700, files
// 0600, removed by Close); reading merges the runs and what is still in
// memory. A small scan never writes a file, but takes the same path.
//
// Findings are added as the surfaces produced them, before redaction (the
// values to redact are known only once the whole scan is done, and
// redacting first would change the order of findings whose file or address
// it rewrites). So that no secret and no scanned content reaches the disk
// readable, each record of a run is its binary form (runcodec.go) sealed with
// AES-256-GCM under a key drawn when the store first spills and kept only
// in its memory: a file left behind by a crash is unreadable.
//
// Adds come first: Add after the first read is an error. A Store is not
// safe for concurrent use.
type Store struct {
	opts StoreOptions

	mem      []storeEntry
	memBytes int64
	sorted   bool

	dir     string
	runs    []string
	nextRun int
	// aead seals the records of the runs; nonces counts the records
	// sealed (each record's nonce is its count: unique under the key).
	aead   cipher.AEAD
	nonces uint64
	// noSpill is set when a run could not be written: the findings then
	// stay in memory (correct, not bounded) rather than being lost.
	noSpill  bool
	spillErr error

	// counts are the statuses of the findings held (Errors and Gaps
	// unset), n their number.
	counts Summary
	n      int
	// dropped are findings added but withdrawn since (Drop).
	dropped map[Seq]bool
	// transforms apply to every finding read, in order (Rewrite, Filter).
	transforms []func(*Finding) bool
	reading    bool
	// err is the first read error; every later read returns it.
	err    error
	closed bool
}

// storeEntry is one finding in memory: the store points to the finding
// Add was given rather than copying it (a Finding is half a kilobyte, and
// sorting moves the entries). applied counts the transforms already
// applied to it in place (a finding in memory is transformed once, one on
// disk at every read); gone marks one a transform dropped.
type storeEntry struct {
	key     sortKey
	seq     Seq
	f       *Finding
	applied int
	gone    bool
}

// NewStore returns an empty store.
func NewStore(opts StoreOptions) *Store {
	if opts.Budget <= 0 {
		opts.Budget = DefaultSpillBudget
	}
	if opts.MaxRuns <= 0 {
		opts.MaxRuns = defaultMaxRuns
	}
	opts.MaxRuns = max(opts.MaxRuns, 2)
	return &Store{opts: opts}
}

// Len is the number of findings the store holds (after Drop and Filter).
func (s *Store) Len() int { return s.n }

// Counts are the findings' statuses (Errors and Gaps zero).
func (s *Store) Counts() Summary { return s.counts }

// Runs is the number of runs on disk.
func (s *Store) Runs() int { return len(s.runs) }

// SpillError is the error that made the store keep its findings in memory
// instead of writing them (nil when every run was written).
func (s *Store) SpillError() error { return s.spillErr }

// Add adds a finding with its sequence key; keys must be unique. The store
// takes f over rather than copying it: it may change f (nil Frameworks and
// Aliases become empty lists, as Result.Finalize makes them; Rewrite and
// Filter apply to f in place while it is in memory) and keeps it until it
// is written to disk or the store is closed, so the caller must neither
// change nor reuse f afterwards.
func (s *Store) Add(f *Finding, seq Seq) error {
	if s.reading || s.closed {
		return errors.New("finding store: add after the findings were read")
	}
	if f.Frameworks == nil {
		f.Frameworks = []Framework{}
	}
	if f.Aliases == nil {
		f.Aliases = []string{}
	}
	s.mem = append(s.mem, storeEntry{key: keyOf(f), seq: seq, f: f})
	s.memBytes += findingBytes(f)
	s.count(f.Status, 1)
	if s.memBytes > s.opts.Budget && !s.noSpill {
		s.spill()
	}
	return nil
}

// Drop withdraws the finding added with seq and status (a duplicate found
// later with an earlier place in the order).
func (s *Store) Drop(seq Seq, status Status) {
	if s.dropped == nil {
		s.dropped = map[Seq]bool{}
	}
	if !s.dropped[seq] {
		s.dropped[seq] = true
		s.count(status, -1)
	}
}

func (s *Store) count(st Status, d int) {
	s.n += d
	switch st {
	case Fail:
		s.counts.Fail += d
	case Pass:
		s.counts.Pass += d
	case Unknown:
		s.counts.Unknown += d
	case Suppressed:
		s.counts.Suppressed += d
	}
}

// Rewrite applies fn to every finding read from now on.
func (s *Store) Rewrite(fn func(*Finding)) {
	s.transforms = append(s.transforms, func(f *Finding) bool { fn(f); return true })
}

// Filter leaves out, from now on, the findings keep rejects (after the
// transforms registered before it), recounts the statuses in one pass and
// returns how many findings it left out.
func (s *Store) Filter(keep func(*Finding) bool) (int, error) {
	s.transforms = append(s.transforms, keep)
	before := s.n
	var counts Summary
	n := 0
	err := s.Each(func(f *Finding) error {
		n++
		switch f.Status {
		case Fail:
			counts.Fail++
		case Pass:
			counts.Pass++
		case Unknown:
			counts.Unknown++
		case Suppressed:
			counts.Suppressed++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.counts, s.n = counts, n
	return before - n, nil
}

// Each calls fn with every finding in order, transforms applied, and
// stops at the first error fn returns (which Each returns). fn must not
// keep f, nor modify it.
func (s *Store) Each(fn func(*Finding) error) error {
	if s.err != nil {
		return s.err
	}
	if s.closed {
		return errors.New("finding store: read after close")
	}
	s.reading = true
	if !s.sorted {
		sort.Sort(byKey(s.mem))
		s.sorted = true
	}
	srcs := []mergeSource{&memSource{s: s}}
	var strs *stringTable
	if len(s.runs) > 0 {
		strs = newStringTable()
	}
	for _, path := range s.runs {
		r, err := s.openRun(path, s.dropped, s.transforms, strs)
		if err != nil {
			closeSources(srcs)
			s.err = fmt.Errorf("finding store: %w", err)
			return s.err
		}
		srcs = append(srcs, r)
	}
	err := merge(srcs, func(_ Seq, f *Finding) error { return fn(f) })
	var re readError
	if errors.As(err, &re) {
		s.err = fmt.Errorf("finding store: %w", re.err)
		return s.err
	}
	return err
}

// Close removes the store's files and releases its findings; the store
// cannot be read afterwards.
func (s *Store) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.mem = nil
	if s.dir == "" {
		return nil
	}
	return os.RemoveAll(s.dir)
}

// byKey sorts entries by (key, seq), which is unique per entry: any sort
// gives the one order. Less reads the entries in place (a comparison
// function taking them by value would copy two findings per call).
type byKey []storeEntry

func (b byKey) Len() int { return len(b) }
func (b byKey) Less(i, j int) bool {
	return compareEntries(&b[i].key, b[i].seq, &b[j].key, b[j].seq) < 0
}
func (b byKey) Swap(i, j int) { b[i], b[j] = b[j], b[i] }

// sortKey is what Less compares, taken from a finding as it was added:
// the transforms applied when reading (redaction) may change these fields,
// and the order is that of the findings as added.
type sortKey struct {
	file                              string
	line                              int
	account, region, address, control string
}

func keyOf(f *Finding) sortKey {
	return sortKey{f.Location.File, f.Location.StartLine, f.Resource.Account, f.Resource.Region, f.Resource.Address, f.ControlID}
}

// compareEntries orders as Less does, then by sequence.
func compareEntries(a *sortKey, as Seq, b *sortKey, bs Seq) int {
	if a.file != b.file {
		return cmpString(a.file, b.file)
	}
	if a.line != b.line {
		if a.line < b.line {
			return -1
		}
		return 1
	}
	for _, p := range [...][2]string{{a.account, b.account}, {a.region, b.region}, {a.address, b.address}, {a.control, b.control}} {
		if p[0] != p[1] {
			return cmpString(p[0], p[1])
		}
	}
	switch {
	case as < bs:
		return -1
	case as > bs:
		return 1
	}
	return 0
}

func cmpString(a, b string) int {
	if a < b {
		return -1
	}
	return 1
}

// spill writes the findings in memory as a run, then merges the runs when
// there are too many. A run that cannot be written leaves the findings in
// memory and stops spilling.
func (s *Store) spill() {
	if err := s.writeMemRun(); err != nil {
		s.noSpill, s.spillErr = true, err
		return
	}
	if len(s.runs) >= s.opts.MaxRuns {
		if err := s.compact(); err != nil {
			s.noSpill, s.spillErr = true, err
		}
	}
}

func (s *Store) newRun() (*runWriter, error) {
	if s.aead == nil {
		aead, err := seal.NewAEAD()
		if err != nil {
			return nil, err
		}
		s.aead = aead
	}
	if s.dir == "" {
		dir, err := os.MkdirTemp(s.opts.Dir, "sagefence-findings-")
		if err != nil {
			return nil, err
		}
		s.dir = dir
	}
	s.nextRun++
	path := filepath.Join(s.dir, fmt.Sprintf("run-%06d.bin", s.nextRun))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return &runWriter{s: s, path: path, f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

func (s *Store) writeMemRun() error {
	sort.Sort(byKey(s.mem))
	w, err := s.newRun()
	if err != nil {
		return err
	}
	for i := range s.mem {
		if err := w.write(s.mem[i].seq, s.mem[i].f); err != nil {
			w.abort()
			return err
		}
	}
	if err := w.close(); err != nil {
		w.abort()
		return err
	}
	s.runs = append(s.runs, w.path)
	clear(s.mem) // let the findings' strings go
	s.mem = s.mem[:0]
	s.memBytes = 0
	return nil
}

// compact merges every run into one.
func (s *Store) compact() error {
	var srcs []mergeSource
	strs := newStringTable()
	for _, path := range s.runs {
		r, err := s.openRun(path, s.dropped, nil, strs)
		if err != nil {
			closeSources(srcs)
			return err
		}
		srcs = append(srcs, r)
	}
	w, err := s.newRun()
	if err != nil {
		closeSources(srcs)
		return err
	}
	err = merge(srcs, w.write)
	if err == nil {
		err = w.close()
	}
	if err != nil {
		w.abort()
		var re readError
		if errors.As(err, &re) {
			err = re.err
		}
		return err
	}
	for _, path := range s.runs {
		os.Remove(path)
	}
	s.runs = []string{w.path}
	return nil
}

// A run is a sequence of records, each a 4-byte big-endian length, then
// that many bytes: the GCM nonce and the sealed plaintext of a record
// (appendRecord: the sequence key and the finding).
type runWriter struct {
	s    *Store
	path string
	f    *os.File
	w    *bufio.Writer
	// plain and sealed are reused from record to record.
	plain  []byte
	sealed []byte
}

func (w *runWriter) write(seq Seq, f *Finding) error {
	w.plain = appendRecord(w.plain[:0], seq, f)
	aead := w.s.aead
	nonce := make([]byte, aead.NonceSize())
	w.s.nonces++
	binary.BigEndian.PutUint64(nonce, w.s.nonces)
	w.sealed = append(w.sealed[:0], 0, 0, 0, 0)
	w.sealed = append(w.sealed, nonce...)
	w.sealed = aead.Seal(w.sealed, nonce, w.plain, nil)
	binary.BigEndian.PutUint32(w.sealed, uint32(len(w.sealed)-4))
	_, err := w.w.Write(w.sealed)
	return err
}

func (w *runWriter) close() error {
	if err := w.w.Flush(); err != nil {
		return err
	}
	return w.f.Close()
}

// abort removes a run that could not be written whole.
func (w *runWriter) abort() {
	w.f.Close()
	os.Remove(w.path)
}

// mergeSource yields findings in (sortKey, Seq) order, dropped ones left
// out and transforms applied: next advances, cur is the current one (valid
// after next returned true) with its key as added.
type mergeSource interface {
	next() (bool, error)
	cur() (*sortKey, Seq, *Finding)
	close()
}

// readError marks an error of reading a run (not of the caller's fn).
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }

// merge calls emit with the findings of the sources in (Less, Seq) order,
// and closes the sources.
func merge(srcs []mergeSource, emit func(Seq, *Finding) error) error {
	defer closeSources(srcs)
	h := &sourceHeap{}
	for _, src := range srcs {
		ok, err := src.next()
		if err != nil {
			return readError{err}
		}
		if ok {
			h.items = append(h.items, src)
		}
	}
	heap.Init(h)
	for h.Len() > 0 {
		src := h.items[0]
		_, seq, f := src.cur()
		if err := emit(seq, f); err != nil {
			return err
		}
		ok, err := src.next()
		if err != nil {
			return readError{err}
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return nil
}

func closeSources(srcs []mergeSource) {
	for _, s := range srcs {
		s.close()
	}
}

type sourceHeap struct{ items []mergeSource }

func (h *sourceHeap) Len() int { return len(h.items) }
func (h *sourceHeap) Less(i, j int) bool {
	ak, as, _ := h.items[i].cur()
	bk, bs, _ := h.items[j].cur()
	return compareEntries(ak, as, bk, bs) < 0
}
func (h *sourceHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *sourceHeap) Push(x any)    { h.items = append(h.items, x.(mergeSource)) }
func (h *sourceHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// memSource reads the store's sorted findings in memory, applying the
// transforms not yet applied to each in place.
type memSource struct {
	s *Store
	i int
}

func (m *memSource) next() (bool, error) {
	for {
		if m.i >= len(m.s.mem) {
			return false, nil
		}
		e := &m.s.mem[m.i]
		m.i++
		if e.gone || m.s.dropped[e.seq] {
			continue
		}
		for ; e.applied < len(m.s.transforms); e.applied++ {
			if !m.s.transforms[e.applied](e.f) {
				e.gone = true
				break
			}
		}
		if !e.gone {
			return true, nil
		}
	}
}

func (m *memSource) cur() (*sortKey, Seq, *Finding) {
	e := &m.s.mem[m.i-1]
	return &e.key, e.seq, e.f
}

func (m *memSource) close() {}

// runReader reads one run, decoding each finding afresh and applying every
// transform.
type runReader struct {
	path       string
	f          *os.File
	r          *bufio.Reader
	aead       cipher.AEAD
	sealed     []byte
	plain      []byte
	key        sortKey
	seq        Seq
	fnd        *Finding
	dropped    map[Seq]bool
	transforms []func(*Finding) bool
	strs       *stringTable
}

// maxRecord bounds one sealed record (a finding and the seal).
const maxRecord = 256 << 20

// openRun opens a run to read; strs, when not nil, is the string table of
// the pass reading it (decodeRecord).
func (s *Store) openRun(path string, dropped map[Seq]bool, transforms []func(*Finding) bool, strs *stringTable) (*runReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &runReader{path: path, f: f, r: bufio.NewReaderSize(f, 32<<10), aead: s.aead,
		dropped: dropped, transforms: transforms, strs: strs}, nil
}

// record reads and opens the next record; io.EOF at the end of the run.
func (r *runReader) record() ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r.r, n[:]); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, err
	}
	size := int(binary.BigEndian.Uint32(n[:]))
	ns := r.aead.NonceSize()
	if size < ns+r.aead.Overhead() || size > maxRecord {
		return nil, fmt.Errorf("record of %d bytes", size)
	}
	r.sealed = slices.Grow(r.sealed[:0], size)[:size]
	if _, err := io.ReadFull(r.r, r.sealed); err != nil {
		return nil, err
	}
	plain, err := r.aead.Open(r.plain[:0], r.sealed[:ns], r.sealed[ns:], nil)
	if err != nil {
		return nil, err
	}
	r.plain = plain
	return plain, nil
}

func (r *runReader) next() (bool, error) {
next:
	for {
		b, err := r.record()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("%s: %w", filepath.Base(r.path), err)
		}
		seq, f, err := decodeRecord(b, r.strs)
		if err != nil {
			return false, fmt.Errorf("%s: %w", filepath.Base(r.path), err)
		}
		if r.dropped[seq] {
			continue
		}
		r.key, r.seq, r.fnd = keyOf(f), seq, f
		for _, t := range r.transforms {
			if !t(f) {
				continue next
			}
		}
		return true, nil
	}
}

func (r *runReader) cur() (*sortKey, Seq, *Finding) { return &r.key, r.seq, r.fnd }

func (r *runReader) close() { r.f.Close() }

// findingSize is the fixed part of a Finding in memory.
var findingSize = int64(reflect.TypeOf(Finding{}).Size())

// findingBytes estimates the memory a finding holds of its own (the strings
// a control shares between its findings, such as remediation, frameworks
// and aliases, are not counted).
func findingBytes(f *Finding) int64 {
	n := findingSize + int64(len(f.Message)+len(f.Resource.Type)+len(f.Resource.Address)+len(f.Resource.Name)+
		len(f.Resource.ARN)+len(f.Resource.Path)+len(f.Resource.Stack)+len(f.Resource.Root)+len(f.Location.File))
	if f.Observed != nil {
		n += 16 + int64(len(*f.Observed))
	}
	for _, p := range f.Provenance {
		n += int64(reflect.TypeOf(p).Size()) + int64(len(p.Name)+len(p.Detail)+len(p.Via)+len(p.File))
	}
	for _, e := range f.Evidence {
		n += 16 + int64(len(e))
	}
	for _, w := range f.Witnesses {
		n += int64(reflect.TypeOf(w).Size()) + int64(len(w.Rule)+len(w.Status)+len(w.Evaluated)+len(w.Note)+len(w.Link))
	}
	if f.Suppression != nil {
		n += 96 + int64(len(f.Suppression.Reason)+len(f.Suppression.Source))
	}
	return n
}
