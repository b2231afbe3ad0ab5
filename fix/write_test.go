package fix

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// writeFixture writes files (path relative to dir → content) and returns
// the FileEdits that replace each content with its upper-case form.
func writeFixture(t *testing.T, dir string, files map[string]string) []FileEdit {
	t.Helper()
	var edits []FileEdit
	for rel, content := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		edits = append(edits, FileEdit{Path: p, Old: []byte(content), New: []byte(strings.ToUpper(content))})
	}
	return edits
}

func readString(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tempFiles lists Write's temporary files under dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), tempMarker) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestWriteAllOrNothing: when one file cannot be written (it changed since
// Plan read it, or the context is cancelled), no file is changed and no
// temporary file is left.
func TestWriteAllOrNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, edits []FileEdit) context.Context
		want  string
	}{
		{"a file changed since it was read", func(t *testing.T, edits []FileEdit) context.Context {
			if err := os.WriteFile(edits[1].Path, []byte("edited meanwhile\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			edits[1].Old = []byte(readString(t, edits[1].Path) + "x") // Plan saw other content
			return context.Background()
		}, "changed since it was read"},
		{"interrupted", func(t *testing.T, edits []FileEdit) context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, "context canceled"},
		{"a target is not a regular file", func(t *testing.T, edits []FileEdit) context.Context {
			os.Remove(edits[1].Path)
			if err := os.Mkdir(edits[1].Path, 0o755); err != nil {
				t.Fatal(err)
			}
			return context.Background()
		}, "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			edits := writeFixture(t, dir, map[string]string{"a/main.tf": "a = 1\n", "b/main.tf": "b = 2\n"})
			if edits[0].Path > edits[1].Path {
				edits[0], edits[1] = edits[1], edits[0]
			}
			ctx := tc.spoil(t, edits)
			before := readString(t, edits[0].Path)
			err := (&Result{Files: edits}).Write(ctx)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing written") {
				t.Fatalf("Write = %v, want an error saying nothing was written and %q", err, tc.want)
			}
			if got := readString(t, edits[0].Path); got != before {
				t.Errorf("%s was written (%q) although another file failed", edits[0].Path, got)
			}
			if left := tempFiles(t, dir); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

// TestWriteRollsBack: when a rename fails after others succeeded, the
// files already replaced get their old content back and no temporary file
// is left.
func TestWriteRollsBack(t *testing.T) {
	dir := t.TempDir()
	edits := writeFixture(t, dir, map[string]string{"a.tf": "a = 1\n", "b.tf": "b = 2\n", "c.tf": "c = 3\n"})
	renames := 0
	renameFile = func(from, to string) error {
		renames++
		if renames == 3 {
			return os.ErrPermission
		}
		return os.Rename(from, to)
	}
	defer func() { renameFile = os.Rename }()
	err := (&Result{Files: edits}).Write(context.Background())
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("Write = %v, want the rename's error", err)
	}
	for _, e := range edits {
		if got := readString(t, e.Path); got != string(e.Old) {
			t.Errorf("%s = %q after the rollback, want %q", e.Path, got, e.Old)
		}
	}
	if left := tempFiles(t, dir); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestWriteKeepsModeOwnerAndSymlinks: the written file keeps its mode and
// owner; a symlink stays a symlink and its target gets the new content;
// temporary files of a killed earlier run are removed.
func TestWriteKeepsModeOwnerAndSymlinks(t *testing.T) {
	dir := t.TempDir()
	edits := writeFixture(t, dir, map[string]string{"main.tf": "x = 1\n", "real/target.tf": "y = 2\n"})
	var plain, target FileEdit
	for _, e := range edits {
		if strings.HasSuffix(e.Path, "main.tf") {
			plain = e
		} else {
			target = e
		}
	}
	if err := os.Chmod(plain.Path, 0o640); err != nil {
		t.Fatal(err)
	}
	root := os.Geteuid() == 0
	if root {
		if err := os.Chown(plain.Path, 4321, 4322); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "link.tf")
	if err := os.Symlink(filepath.Join("real", "target.tf"), link); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".main.tf"+tempMarker+"12345")
	if err := os.WriteFile(stale, []byte("left by a killed run"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := &Result{Files: []FileEdit{plain, {Path: link, Old: target.Old, New: target.New}}}
	if err := res.Write(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(plain.Path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o640 || readString(t, plain.Path) != "X = 1\n" {
		t.Errorf("main.tf: mode %v content %q", st.Mode().Perm(), readString(t, plain.Path))
	}
	if root {
		if sys := st.Sys().(*syscall.Stat_t); sys.Uid != 4321 || sys.Gid != 4322 {
			t.Errorf("owner %d:%d, want 4321:4322", sys.Uid, sys.Gid)
		}
	} else {
		t.Log("not root: the owner part is checked only as root (a file of another user cannot be created)")
	}
	if lst, err := os.Lstat(link); err != nil || lst.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link.tf is no longer a symlink: %v %v", lst, err)
	}
	if got := readString(t, target.Path); got != "Y = 2\n" {
		t.Errorf("symlink target: %q", got)
	}
	if left := tempFiles(t, dir); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestConfine: an edit in a module outside the given path is reported, not
// made, naming the file relative to the path and its callers; a symlink in
// the path to a file outside is outside; --allow-outside keeps everything.
func TestConfine(t *testing.T) {
	dir := t.TempDir()
	edits := writeFixture(t, dir, map[string]string{
		"root/main.tf":     "module \"a\" {\n  source = \"../shared\"\n}\nmodule \"b\" {\n  source = \"../shared\"\n}\n",
		"root/nb.tf":       "resource \"x\" \"y\" {}\n",
		"shared/main.tf":   "resource \"aws_sagemaker_notebook_instance\" \"nb\" {}\n",
		"elsewhere/ext.tf": "resource \"x\" \"z\" {}\n",
	})
	if err := os.Symlink(filepath.Join("..", "elsewhere", "ext.tf"), filepath.Join(dir, "root", "ext.tf")); err != nil {
		t.Fatal(err)
	}
	rootDir := filepath.Join(dir, "root")
	plan := func() *Result {
		r := &Result{}
		for _, e := range edits {
			if strings.Contains(e.Path, "elsewhere") {
				e.Path = filepath.Join(rootDir, "ext.tf")
			}
			r.Files = append(r.Files, e)
			r.Changes = append(r.Changes, Change{File: e.Path, Line: 1, Resource: "r", Control: controlDirectInternetAccess, Message: "set it"})
			r.Warnings = append(r.Warnings, Warning{Resource: "r", File: e.Path, Message: "replaced"})
		}
		return r
	}

	r := plan()
	r.Confine([]string{rootDir}, false)
	if len(r.Files) != 2 || len(r.Changes) != 2 || len(r.Warnings) != 2 || len(r.Unfixable) != 2 {
		t.Fatalf("%d files, %d changes, %d warnings, %d unfixable; want root/main.tf and root/nb.tf kept, two not edited",
			len(r.Files), len(r.Changes), len(r.Warnings), len(r.Unfixable))
	}
	for _, f := range r.Files {
		if filepath.Dir(f.Path) != rootDir || filepath.Base(f.Path) == "ext.tf" {
			t.Errorf("kept an edit outside the path: %s", f.Path)
		}
	}
	reasons := map[string]string{}
	for _, u := range r.Unfixable {
		reasons[filepath.Base(filepath.Dir(u.File))+"/"+filepath.Base(u.File)] = u.Reason
	}
	if got := reasons["shared/main.tf"]; !strings.Contains(got, "value set in ../shared/main.tf, used by 2 callers: not edited") {
		t.Errorf("shared module: %q", got)
	}
	if got := reasons["root/ext.tf"]; !strings.Contains(got, "not edited") {
		t.Errorf("symlink to a file outside: %q", got)
	}

	r = plan()
	r.Confine([]string{rootDir}, true)
	if len(r.Files) != 4 || len(r.Unfixable) != 0 {
		t.Errorf("--allow-outside: %d files, %d unfixable; want 4 and 0", len(r.Files), len(r.Unfixable))
	}
}
