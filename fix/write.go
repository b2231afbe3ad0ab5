package fix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// tempMarker is in the name of every temporary file Write stages:
// ".<name>.sagefence-<random>" beside the file it replaces.
const tempMarker = ".sagefence-"

// Confine keeps the result's edits to files under roots (the paths given to
// Plan: a directory, or the directory of a file). An edit of a file outside
// them (a shared module the configuration calls with "../shared") is
// dropped: each Change in that file becomes an Unfixable saying "value set
// in ../shared/main.tf, used by N callers: not edited", N being the module
// calls found under roots whose source is that file's directory. Paths are
// compared after resolving symlinks, so a link inside a root to a file
// outside it is outside. Confine must run before Diff and Write; with
// allowOutside it changes nothing.
func (r *Result) Confine(roots []string, allowOutside bool) {
	if allowOutside || len(r.Files) == 0 {
		return
	}
	resolved := make([]string, 0, len(roots))
	for _, root := range roots {
		if st, err := os.Stat(root); err == nil && !st.IsDir() {
			root = filepath.Dir(root)
		}
		if real, err := realPath(root); err == nil {
			resolved = append(resolved, real)
		}
	}
	outside := map[string]bool{}
	kept := r.Files[:0:0]
	for _, f := range r.Files {
		real, err := realPath(f.Path)
		if err == nil && underAny(real, resolved) {
			kept = append(kept, f)
			continue
		}
		outside[filepath.Clean(f.Path)] = true
	}
	if len(outside) == 0 {
		return
	}
	r.Files = kept
	base := "."
	if len(roots) > 0 {
		base = roots[0]
		if st, err := os.Stat(base); err == nil && !st.IsDir() {
			base = filepath.Dir(base)
		}
	}
	callers := moduleCallers(roots)
	changes := r.Changes[:0:0]
	for _, c := range r.Changes {
		if !outside[filepath.Clean(c.File)] {
			changes = append(changes, c)
			continue
		}
		shown := c.File
		if rel, err := filepath.Rel(base, c.File); err == nil {
			shown = rel
		}
		dir, _ := filepath.Abs(filepath.Dir(c.File))
		r.Unfixable = append(r.Unfixable, Unfixable{File: c.File, Line: c.Line, Resource: c.Resource, Control: c.Control,
			Reason: fmt.Sprintf("value set in %s, used by %s: not edited (it is outside the given paths; "+
				"edit it there, or run with --allow-outside) - the fix would be: %s", filepath.ToSlash(shown), plural(callers[dir], "caller"), c.Message)})
	}
	r.Changes = changes
	warnings := r.Warnings[:0:0]
	for _, w := range r.Warnings {
		if !outside[filepath.Clean(w.File)] {
			warnings = append(warnings, w)
		}
	}
	r.Warnings = warnings
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// realPath is the absolute path with every symlink resolved.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

func underAny(path string, roots []string) bool {
	for _, root := range roots {
		if rel, err := filepath.Rel(root, path); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// moduleCallers counts, per absolute module directory, the module blocks in
// the .tf files under roots whose source is a local path ("./", "../").
func moduleCallers(roots []string) map[string]int {
	count := map[string]int{}
	for _, root := range roots {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || !strings.HasSuffix(path, ".tf") {
				return nil
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
			if diags.HasErrors() {
				return nil
			}
			body, ok := file.Body.(*hclsyntax.Body)
			if !ok {
				return nil
			}
			for _, b := range body.Blocks {
				if b.Type != "module" {
					continue
				}
				attr, ok := b.Body.Attributes["source"]
				if !ok {
					continue
				}
				v, diags := attr.Expr.Value(nil)
				if diags.HasErrors() || !v.IsKnown() || v.IsNull() || !v.Type().Equals(cty.String) {
					continue
				}
				s := v.AsString()
				if !strings.HasPrefix(s, "./") && !strings.HasPrefix(s, "../") {
					continue
				}
				if dir, err := filepath.Abs(filepath.Join(filepath.Dir(path), s)); err == nil {
					count[dir]++
				}
			}
			return nil
		})
	}
	return count
}

// Write applies the result's file edits, all or nothing:
//
//   - A file is written through a symlink: the link stays and its target is
//     replaced (Confine has already refused targets outside the given paths).
//     Only regular files are written.
//   - Every new content is first staged in a temporary file beside its
//     target (".<name>.sagefence-<random>"), with the target's mode and
//     owner, and fsynced. Only when every file is staged, and every target
//     still holds the content Plan read, are the temporary files renamed
//     over their targets; then each directory is fsynced.
//   - Any failure before the renames (or ctx cancelled: Ctrl-C) removes every
//     temporary file and leaves every original untouched. A rename failing
//     part-way puts back the files already replaced, from the content Plan
//     read. Temporary files a killed earlier run left beside the files being
//     written are removed first.
func (r *Result) Write(ctx context.Context) error {
	staged := make([]*stagedFile, 0, len(r.Files))
	committed := false
	defer func() {
		if !committed {
			for _, s := range staged {
				os.Remove(s.temp)
			}
		}
	}()
	for _, f := range r.Files {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("nothing written: %w", err)
		}
		s, err := stage(f)
		if err != nil {
			return fmt.Errorf("nothing written: %w", err)
		}
		staged = append(staged, s)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("nothing written: %w", err)
	}
	for i, s := range staged {
		if err := renameFile(s.temp, s.target); err != nil {
			err = fmt.Errorf("writing %s: %w", s.edit.Path, err)
			return errors.Join(err, rollBack(staged[:i]))
		}
	}
	committed = true
	dirs := map[string]bool{}
	for _, s := range staged {
		dirs[filepath.Dir(s.target)] = true
	}
	var errs []error
	for _, dir := range sortedDirs(dirs) {
		if err := syncDir(dir); err != nil {
			errs = append(errs, fmt.Errorf("syncing directory %s after writing: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}

// renameFile is os.Rename; tests replace it to make a rename fail.
var renameFile = os.Rename

// stagedFile is one edit's temporary file, ready to be renamed over target.
type stagedFile struct {
	edit   FileEdit
	target string // the real file (symlinks resolved)
	temp   string
}

// stage writes f.New to a temporary file beside f's target, with the
// target's mode and owner, fsynced and closed.
func stage(f FileEdit) (*stagedFile, error) {
	target, err := filepath.EvalSymlinks(f.Path)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", f.Path, err)
	}
	st, err := os.Stat(target)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", f.Path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("writing %s: not a regular file (%s)", f.Path, st.Mode().Type())
	}
	current, err := os.ReadFile(target)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", f.Path, err)
	}
	if !bytes.Equal(current, f.Old) {
		return nil, fmt.Errorf("writing %s: the file changed since it was read; run fix again", f.Path)
	}
	removeStaleTemps(target)
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+tempMarker+"*")
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", f.Path, err)
	}
	s := &stagedFile{edit: f, target: target, temp: tmp.Name()}
	fail := func(err error) (*stagedFile, error) {
		tmp.Close()
		os.Remove(s.temp)
		return nil, fmt.Errorf("writing %s: %w", f.Path, err)
	}
	if _, err := tmp.Write(f.New); err != nil {
		return fail(err)
	}
	// Owner first: changing it clears set-user/group-ID bits, which the
	// mode then restores.
	if err := keepOwner(tmp, st); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(st.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(s.temp)
		return nil, fmt.Errorf("writing %s: %w", f.Path, err)
	}
	return s, nil
}

// rollBack puts the content Plan read back into files already replaced.
func rollBack(done []*stagedFile) error {
	var errs []error
	for _, s := range done {
		back := FileEdit{Path: s.target, Old: s.edit.New, New: s.edit.Old}
		restored, err := stage(back)
		if err == nil {
			err = renameFile(restored.temp, restored.target)
			if err != nil {
				os.Remove(restored.temp)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s was written but could not be restored: %w", s.edit.Path, err))
		}
	}
	return errors.Join(errs...)
}

// removeStaleTemps removes temporary files of target that a killed run
// left behind.
func removeStaleTemps(target string) {
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(target), "."+globEscape(filepath.Base(target))+tempMarker+"*"))
	for _, m := range matches {
		if st, err := os.Lstat(m); err == nil && st.Mode().IsRegular() {
			os.Remove(m)
		}
	}
}

func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`).Replace(s)
}

func sortedDirs(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for d := range m {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}
