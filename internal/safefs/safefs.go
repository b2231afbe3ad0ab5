// Package safefs is how sagefence reads files whose names come from the
// scanned content (discovered configuration files, file() and templatefile()
// arguments, module sources, CDK template paths, variable and parameter
// files). It enforces three rules, each ending in an error that names the
// path and why it was not read:
//
//   - Only regular files are read. A FIFO, a socket, a device or a symlink to
//     one (/dev/zero, /dev/stdin) is refused without blocking: files are
//     opened non-blocking and checked with fstat on the opened descriptor, so
//     a FIFO swapped in after a stat is still refused.
//   - Every read has a size cap (MaxFileBytes unless the caller gives one);
//     the cap is enforced on the bytes actually read, not only on the size
//     stat reports.
//   - A Jail confines reads to a set of directories (the scan roots and the
//     user's --allow-read directories). Symlinks are resolved before the
//     check, so a link inside the root that points outside is outside.
//
// A nil *Jail allows every path (library callers that did not ask for
// confinement); the command line always builds one.
package safefs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// MaxFileBytes is the default cap on one file read (configuration files,
// templates, variable files, file() arguments).
const MaxFileBytes = 16 << 20

// ErrNotRegular is wrapped by errors about FIFOs, devices, sockets and directories.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by errors about files over the size cap.
var ErrTooLarge = errors.New("file too large")

// ErrOutside is wrapped by *OutsideError.
var ErrOutside = errors.New("outside the scan root")

// ReadFile reads a regular file of at most MaxFileBytes.
func ReadFile(path string) ([]byte, error) { return ReadFileLimit(path, MaxFileBytes) }

// readAllInto appends r's contents to b until EOF, growing b only when full.
func readAllInto(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// ReadFileLimit reads a regular file of at most limit bytes. It never blocks
// on a FIFO and never reads more than limit+1 bytes.
func ReadFileLimit(path string, limit int64) ([]byte, error) {
	return readFileLimit(path, limit, 0)
}

// readFileLimit is ReadFileLimit with extra open flags (noFollow).
func readFileLimit(path string, limit int64, flags int) ([]byte, error) {
	f, st, err := openRegular(path, flags)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > limit {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: %d bytes, more than the %s limit", ErrTooLarge, st.Size(), Human(limit))}
	}
	// Sized from Stat, as os.ReadFile does, so that a file is not read into
	// a buffer grown by doubling (the size may change: read to EOF anyway).
	b := make([]byte, 0, min(st.Size(), limit)+1)
	b, err = readAllInto(b, io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: more than the %s limit", ErrTooLarge, Human(limit))}
	}
	return b, nil
}

// Open opens a regular file for reading without blocking on a FIFO; any
// other kind of file is refused with an error wrapping ErrNotRegular.
func Open(path string) (*os.File, error) {
	f, _, err := openRegular(path, 0)
	return f, err
}

// openRegular is Open with extra open flags, also returning the file's
// information.
func openRegular(path string, flags int) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags|flags, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, Kind(st.Mode()))}
	}
	if err := clearNonblock(f); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// Kind names a file mode's type for messages: "directory", "named pipe (FIFO)", ...
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular file"
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	}
	return "irregular file"
}

// Human renders a byte count: "16 MiB".
func Human(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// CheckEntry reports whether a directory entry met during discovery may be
// read: a regular file, or a symlink that resolves to one. A dangling or
// looping symlink, or a link to a FIFO or device, is an error (never a
// silent skip); directories return (false, nil).
func CheckEntry(path string, d fs.DirEntry) (bool, error) {
	if d.IsDir() {
		return false, nil
	}
	if d.Type().IsRegular() {
		return true, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		if d.Type()&fs.ModeSymlink != 0 {
			if _, lerr := filepath.EvalSymlinks(path); lerr != nil && !errors.Is(lerr, fs.ErrNotExist) {
				return false, fmt.Errorf("symbolic link cannot be resolved: %s", Describe(lerr))
			}
			target, _ := os.Readlink(path)
			return false, fmt.Errorf("dangling symbolic link (points to %s, which does not exist)", target)
		}
		return false, errors.New(Describe(err))
	}
	if st.IsDir() {
		return false, nil
	}
	if !st.Mode().IsRegular() {
		return false, fmt.Errorf("%w: %s, not read", ErrNotRegular, Kind(st.Mode()))
	}
	return true, nil
}

// Describe renders a filesystem error without repeating the path.
func Describe(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return err.Error()
}

// RepoRoot returns the repository root (the nearest directory at or above
// dir holding .git) and true, or dir and false outside a repository. dir
// must be absolute.
func RepoRoot(dir string) (string, bool) {
	for d := dir; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d, true
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir, false
		}
		d = parent
	}
}

// ScanRoot is the directory a scan argument confines reads to: the
// repository root above it when there is one, else the argument itself (its
// directory when it is a file). The result is absolute with symlinks resolved.
func ScanRoot(arg string) (string, error) {
	abs, err := filepath.Abs(arg)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		abs = filepath.Dir(abs)
	}
	root, _ := RepoRoot(abs)
	return root, nil
}

// Jail is a set of directories reads are confined to. It is safe for
// concurrent use.
//
// A jail resolves each directory's symlinks once and remembers the result
// (one scan reads thousands of files from the same directories), for up to
// maxResolvedDirs directories at a time. It judges the files as they are
// when read; like any path check followed by an open, it does not defend
// against a directory swapped for a symlink while the scan runs.
type Jail struct {
	dirs []string // absolute, symlinks resolved
	// resolved maps an absolute directory to its path with symlinks
	// resolved (see evalSymlinks), under mu.
	mu       sync.RWMutex
	resolved map[string]string
}

// maxResolvedDirs bounds a jail's memory of resolved directories. A scan
// reads a directory's files one after the other, so a memory emptied when
// full keeps nearly every reuse, and it no longer grows with the corpus.
const maxResolvedDirs = 4096

// NewJail builds a jail from the scan arguments (each becomes its ScanRoot)
// and extra directories allowed as they are (--allow-read).
func NewJail(args, allow []string) (*Jail, error) {
	j := &Jail{}
	for _, a := range args {
		r, err := ScanRoot(a)
		if err != nil {
			return nil, fmt.Errorf("scan root of %s: %w", a, err)
		}
		j.add(r)
	}
	for _, a := range allow {
		abs, err := filepath.Abs(a)
		if err != nil {
			return nil, fmt.Errorf("--allow-read %s: %w", a, err)
		}
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, fmt.Errorf("--allow-read %s: %s", a, Describe(err))
		}
		j.add(real)
	}
	return j, nil
}

func (j *Jail) add(dir string) {
	for _, d := range j.dirs {
		if d == dir {
			return
		}
	}
	j.dirs = append(j.dirs, dir)
}

// Dirs lists the directories reads are confined to.
func (j *Jail) Dirs() []string {
	if j == nil {
		return nil
	}
	return append([]string(nil), j.dirs...)
}

// OutsideError is a path that resolves outside every directory of the jail.
type OutsideError struct {
	Path     string // as given
	Resolved string // absolute, symlinks resolved
	Roots    []string
}

func (e *OutsideError) Error() string {
	how := ""
	if e.Resolved != "" && filepath.Clean(e.Path) != e.Resolved {
		how = " (resolves to " + e.Resolved + ")"
	}
	return fmt.Sprintf("%s%s is outside the scan root %s: not read (allow a directory with --allow-read)", e.Path, how, strings.Join(e.Roots, ", "))
}

func (e *OutsideError) Unwrap() error { return ErrOutside }

// Check resolves path (made absolute, symlinks followed) and returns the
// resolved path when it lies inside the jail, else an *OutsideError. A path
// that does not exist is checked lexically and returned with the
// filesystem error. A nil jail allows everything.
func (j *Jail) Check(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	real, rerr := j.evalSymlinks(abs)
	if rerr != nil {
		real = resolveExisting(abs)
	}
	if j != nil && !j.contains(real) {
		return real, &OutsideError{Path: path, Resolved: real, Roots: j.dirs}
	}
	return real, rerr
}

// evalSymlinks is filepath.EvalSymlinks of an absolute path with the
// directory part resolved once per jail (resolvedDir): when the last
// element is not a symlink, it is the directory's real path joined with
// that element, one Lstat. Errors and symlinks take the full resolution.
func (j *Jail) evalSymlinks(abs string) (string, error) {
	if j != nil {
		if dir := filepath.Dir(abs); dir != abs {
			if realDir, ok := j.resolvedDir(dir); ok {
				p := filepath.Join(realDir, filepath.Base(abs))
				if st, err := os.Lstat(p); err == nil && st.Mode()&fs.ModeSymlink == 0 {
					return p, nil
				}
			}
		}
	}
	return filepath.EvalSymlinks(abs)
}

// resolvedDir is an absolute directory with its symlinks resolved,
// remembered by the jail (see maxResolvedDirs); false when it cannot be
// resolved. It is resolved as any path is (evalSymlinks), from its parent's
// resolution: one Lstat of its own name rather than one for every
// component of the path.
func (j *Jail) resolvedDir(dir string) (string, bool) {
	j.mu.RLock()
	rd, ok := j.resolved[dir]
	j.mu.RUnlock()
	if ok {
		return rd, true
	}
	rd, err := j.evalSymlinks(dir)
	if err != nil {
		return "", false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if prev, ok := j.resolved[dir]; ok {
		return prev, true // resolved meanwhile by another reader: one answer per directory
	}
	if j.resolved == nil || len(j.resolved) >= maxResolvedDirs {
		j.resolved = map[string]string{}
	}
	j.resolved[dir] = rd
	return rd, true
}

// resolveExisting resolves the symlinks of the longest existing prefix of
// abs and appends the rest, so that a missing file under a linked
// directory is judged by where the directory really is.
func resolveExisting(abs string) string {
	dir, rest := abs, ""
	for {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(real, rest)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return abs
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
	}
}

// Contains reports whether path (resolved like Check) is inside the jail.
func (j *Jail) Contains(path string) bool {
	_, err := j.Check(path)
	return !errors.Is(err, ErrOutside)
}

func (j *Jail) contains(real string) bool {
	for _, d := range j.dirs {
		rel, err := filepath.Rel(d, real)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel) {
			return true
		}
	}
	return false
}

// ReadFile checks path against the jail and reads it as a regular file of
// at most limit bytes (MaxFileBytes when limit <= 0).
func (j *Jail) ReadFile(path string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = MaxFileBytes
	}
	if b, ok := j.readInResolvedDir(path, limit); ok {
		return b, nil
	}
	real, err := j.Check(path)
	if err != nil {
		return nil, err
	}
	return ReadFileLimit(real, limit)
}

// readInResolvedDir is ReadFile's common case in one open: the file's
// directory, resolved once per jail (see evalSymlinks), lies inside the
// jail, and the file is opened without following a symlink (noFollow), so
// the open itself refuses what Check's Lstat would send to the full
// resolution. Anything else (a symlink, a missing file, any error) answers
// false, and ReadFile takes the full check, which gives the error it always
// gave. It saves the Lstat of every file read.
func (j *Jail) readInResolvedDir(path string, limit int64) ([]byte, bool) {
	if j == nil || noFollow == 0 {
		return nil, false
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, false
	}
	realDir, ok := j.resolvedDir(filepath.Dir(abs))
	if !ok {
		return nil, false
	}
	p := filepath.Join(realDir, filepath.Base(abs))
	if !j.contains(p) {
		return nil, false
	}
	b, err := readFileLimit(p, limit, noFollow)
	if err != nil {
		return nil, false
	}
	return b, true
}
