package engine

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// PathFilter excludes paths from a scan (--skip-path, `exclude:` in
// .sagefence.yaml). Patterns are globs with forward slashes:
//
//   - `*`, `?` and `[...]` match within one path segment (path.Match);
//     `**` matches any number of segments, including none;
//   - a pattern without a slash matches any single segment of the path:
//     `examples` skips every directory (or file) named examples, `*.json`
//     every JSON file;
//   - a pattern with a slash matches the path relative to a scanned
//     argument or the path as reached from the working directory, or a
//     leading part of it: `infra/legacy` and `infra/legacy/**` both skip
//     everything under infra/legacy. A leading "./" is ignored.
//
// A skipped directory is not descended into and is never a Terraform root;
// a root that calls it as a module still reads it (Terraform does), but no
// finding located in a skipped file is reported.
type PathFilter struct {
	patterns []string
	// anchors are absolute forward-slash directories relative matching
	// starts from; cwd anchors relative paths.
	anchors []string
	cwd     string
}

// NewPathFilter validates the patterns; anchors are the scanned paths (and
// the configuration file's directory) that relative matching starts from.
// A nil filter skips nothing.
func NewPathFilter(patterns, anchors []string) (*PathFilter, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	f := &PathFilter{}
	for _, p := range patterns {
		clean := strings.TrimPrefix(filepath.ToSlash(strings.TrimSpace(p)), "./")
		clean = strings.TrimSuffix(clean, "/")
		if clean == "" || clean == "." {
			return nil, fmt.Errorf("skip path %q: empty pattern", p)
		}
		for _, seg := range strings.Split(clean, "/") {
			if _, err := path.Match(seg, ""); err != nil {
				return nil, fmt.Errorf("skip path %q: %w", p, err)
			}
		}
		f.patterns = append(f.patterns, clean)
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("skip paths: %w", err)
	}
	f.cwd = cwd
	for _, a := range anchors {
		f.anchors = append(f.anchors, filepath.ToSlash(f.abs(a)))
	}
	return f, nil
}

// Patterns returns the validated patterns.
func (f *PathFilter) Patterns() []string {
	if f == nil {
		return nil
	}
	return f.patterns
}

func (f *PathFilter) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(f.cwd, p)
}

func slashClean(p string) string {
	return strings.TrimPrefix(filepath.ToSlash(filepath.Clean(p)), "./")
}

// Match reports whether a path (as reached from the working directory) is
// excluded.
func (f *PathFilter) Match(p string) bool {
	if f == nil || p == "" {
		return false
	}
	candidates := []string{slashClean(p)}
	abs := filepath.ToSlash(f.abs(p))
	for _, a := range f.anchors {
		if rel, ok := strings.CutPrefix(abs, strings.TrimSuffix(a, "/")+"/"); ok {
			candidates = append(candidates, rel)
		}
	}
	for _, pat := range f.patterns {
		for _, c := range candidates {
			if matchPattern(pat, strings.Split(c, "/")) {
				return true
			}
		}
	}
	return false
}

func matchPattern(pat string, segs []string) bool {
	if !strings.Contains(pat, "/") && pat != "**" {
		for _, s := range segs {
			if ok, _ := path.Match(pat, s); ok {
				return true
			}
		}
		return false
	}
	ps := strings.Split(pat, "/")
	// A pattern also matches everything under what it matches.
	for n := 1; n <= len(segs); n++ {
		if matchSegments(ps, segs[:n]) {
			return true
		}
	}
	return false
}

// matchSegments matches pattern segments against path segments, `**`
// standing for any number of segments.
func matchSegments(ps, segs []string) bool {
	if len(ps) == 0 {
		return len(segs) == 0
	}
	if ps[0] == "**" {
		for i := 0; i <= len(segs); i++ {
			if matchSegments(ps[1:], segs[i:]) {
				return true
			}
		}
		return false
	}
	if len(segs) == 0 {
		return false
	}
	if ok, _ := path.Match(ps[0], segs[0]); !ok {
		return false
	}
	return matchSegments(ps[1:], segs[1:])
}
