//go:build unix

package safefs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestReadFileRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "main.tf")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.tf")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, zero, dir} {
		_, err := ReadFile(p)
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("ReadFile(%s) = %v, want ErrNotRegular", p, err)
		}
	}
}

func TestReadFileLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.tf")
	if err := os.WriteFile(p, []byte(strings.Repeat("x", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFileLimit(p, 99); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "99 bytes limit") {
		t.Errorf("over the cap: %v", err)
	}
	if b, err := ReadFileLimit(p, 100); err != nil || len(b) != 100 {
		t.Errorf("at the cap: %d bytes, %v", len(b), err)
	}
}

func TestJail(t *testing.T) {
	base := t.TempDir()
	repo := filepath.Join(base, "repo")
	shared := filepath.Join(base, "shared")
	for _, d := range []string{filepath.Join(repo, ".git"), filepath.Join(repo, "infra"), shared} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(repo, "README"), filepath.Join(shared, "x.sh"), filepath.Join(base, "secret")} {
		if err := os.WriteFile(f, []byte("data"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(base, "secret"), filepath.Join(repo, "infra", "link")); err != nil {
		t.Fatal(err)
	}
	j, err := NewJail([]string{filepath.Join(repo, "infra")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := j.Dirs(); len(got) != 1 || filepath.Base(got[0]) != "repo" {
		t.Fatalf("scan root of a directory inside a repository = %v, want the repository root", got)
	}
	if _, err := j.ReadFile(filepath.Join(repo, "infra", "..", "README"), 0); err != nil {
		t.Errorf("a file of the repository: %v", err)
	}
	for _, p := range []string{filepath.Join(repo, "infra", "link"), filepath.Join(repo, "..", "secret"), "/etc/passwd", filepath.Join(shared, "x.sh")} {
		_, err := j.ReadFile(p, 0)
		var oe *OutsideError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), "outside the scan root") {
			t.Errorf("ReadFile(%s) = %v, want an OutsideError", p, err)
		}
	}
	j2, err := NewJail([]string{filepath.Join(repo, "infra")}, []string{shared})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j2.ReadFile(filepath.Join(shared, "x.sh"), 0); err != nil {
		t.Errorf("--allow-read directory: %v", err)
	}
	// Outside a repository the argument itself is the root.
	j3, _ := NewJail([]string{shared}, nil)
	if _, err := j3.ReadFile(filepath.Join(base, "secret"), 0); !errors.Is(err, ErrOutside) {
		t.Errorf("parent of a root outside a repository: %v", err)
	}
}

func TestCheckEntry(t *testing.T) {
	dir := t.TempDir()
	mk := func(name, target string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dangling := mk("dangling.tf", filepath.Join(dir, "nowhere.tf"))
	loop := mk("loop.tf", filepath.Join(dir, "loop.tf"))
	zero := mk("zero.tf", "/dev/zero")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		ok, err := CheckEntry(p, e)
		if ok || err == nil {
			t.Errorf("CheckEntry(%s) = %v, %v; want an error", p, ok, err)
		}
		switch p {
		case dangling:
			if !strings.Contains(err.Error(), "dangling") {
				t.Errorf("dangling: %v", err)
			}
		case loop:
			if !strings.Contains(err.Error(), "cannot be resolved") {
				t.Errorf("loop: %v", err)
			}
		case zero:
			if !errors.Is(err, ErrNotRegular) {
				t.Errorf("device: %v", err)
			}
		}
	}
}

// TestJailRemembersDirectoriesNotFiles: once a directory is resolved, a file
// in it that is a symlink out of the jail is still refused, and a directory
// linked from inside the root is judged by where it really is.
func TestJailRemembersDirectoriesNotFiles(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "a.tf"), nil, 0o600))
	must(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("x"), 0o600))
	must(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "b.tf")))
	must(t, os.Symlink(outside, filepath.Join(root, "linked")))
	j, err := NewJail([]string{root}, nil)
	must(t, err)
	for _, tc := range []struct {
		path    string
		outside bool
	}{
		{filepath.Join(root, "a.tf"), false}, // resolves root once
		{filepath.Join(root, "b.tf"), true},  // same directory, the file itself links out
		{filepath.Join(root, "a.tf"), false},
		{filepath.Join(root, "linked", "secret"), true},
		{filepath.Join(root, "linked", "secret"), true}, // remembered directory, still outside
	} {
		_, err := j.Check(tc.path)
		if got := errors.Is(err, ErrOutside); got != tc.outside {
			t.Errorf("Check(%s): %v, want outside=%v", tc.path, err, tc.outside)
		}
	}
}

// TestJailReadFileSymlinks: ReadFile opens a file of a resolved directory
// without following a symlink; a symlink (inside or out) takes the full
// check, which reads the one inside and refuses the one outside.
func TestJailReadFileSymlinks(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "a.tf"), []byte("inside"), 0o600))
	must(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("outside"), 0o600))
	must(t, os.Symlink(filepath.Join(root, "a.tf"), filepath.Join(root, "in.tf")))
	must(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "out.tf")))
	j, err := NewJail([]string{root}, nil)
	must(t, err)
	for i := 0; i < 2; i++ { // the second round with the directory remembered
		for _, name := range []string{"a.tf", "in.tf"} {
			if b, err := j.ReadFile(filepath.Join(root, name), 0); err != nil || string(b) != "inside" {
				t.Errorf("ReadFile(%s) = %q, %v; want the file inside", name, b, err)
			}
		}
		if b, err := j.ReadFile(filepath.Join(root, "out.tf"), 0); !errors.Is(err, ErrOutside) || b != nil {
			t.Errorf("ReadFile(out.tf) = %q, %v; want an OutsideError", b, err)
		}
		if _, err := j.ReadFile(filepath.Join(root, "missing.tf"), 0); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadFile(missing.tf) = %v, want not exist", err)
		}
	}
}

// A directory resolved from its parent's resolution is where
// filepath.EvalSymlinks puts it, whatever links lie on its path, in
// whichever order directories are first resolved.
func TestResolvedDirMatchesEvalSymlinks(t *testing.T) {
	base, outside := t.TempDir(), t.TempDir()
	must(t, os.MkdirAll(filepath.Join(base, "a", "b", "c"), 0o755))
	must(t, os.MkdirAll(filepath.Join(outside, "x", "y"), 0o755))
	must(t, os.Symlink(filepath.Join(base, "a", "b"), filepath.Join(base, "to-b")))
	must(t, os.Symlink(outside, filepath.Join(base, "a", "out")))
	must(t, os.Symlink("to-b", filepath.Join(base, "chain")))
	must(t, os.Symlink("../out/x", filepath.Join(base, "a", "b", "rel")))
	dirs := []string{
		filepath.Join(base, "a", "b", "c"),
		filepath.Join(base, "a", "b"),
		filepath.Join(base, "to-b", "c"),
		filepath.Join(base, "chain", "c"),
		filepath.Join(base, "a", "out", "x", "y"),
		filepath.Join(base, "a", "b", "rel", "y"),
		filepath.Join(base, "a", "b", "c", "missing"),
		base,
	}
	reversed := slices.Clone(dirs)
	slices.Reverse(reversed)
	// A jail whose memory of directories is full forgets it at the next
	// directory and resolves as before.
	full := &Jail{resolved: map[string]string{}}
	for i := range maxResolvedDirs {
		full.resolved[fmt.Sprintf("/no/such/dir/%d", i)] = "/elsewhere"
	}
	for n, order := range [][]string{dirs, reversed, dirs} {
		j := &Jail{}
		if n == 2 {
			j = full
		}
		for _, d := range order {
			want, wantErr := filepath.EvalSymlinks(d)
			got, ok := j.resolvedDir(d)
			if ok != (wantErr == nil) || got != want {
				t.Errorf("resolvedDir(%s) = %q, %v; EvalSymlinks gives %q, %v", d, got, ok, want, wantErr)
			}
		}
		if _, stale := j.resolved["/no/such/dir/0"]; stale || len(j.resolved) > maxResolvedDirs {
			t.Errorf("the jail remembers %d directories (bound %d), the full one's first still %v", len(j.resolved), maxResolvedDirs, stale)
		}
	}
}

// must stops the test on a set-up error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
