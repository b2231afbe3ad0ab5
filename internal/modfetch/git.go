package modfetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

var commitRef = regexp.MustCompile(`^[0-9a-fA-F]{7,64}$`)

// gitSource checks out a git:: URL (https; ?ref= a branch, tag or commit;
// ?depth= is accepted and ignored, the checkout is always shallow when the
// server allows it) into the cache entry of key, without its .git directory.
func (f *Fetcher) gitSource(ctx context.Context, raw, key string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("git source %q: %w", raw, err)
	}
	if err := f.checkURL(u); err != nil {
		return "", fmt.Errorf("git source: %w", err)
	}
	q := u.Query()
	ref := q.Get("ref")
	for k := range q {
		if k != "ref" && k != "depth" {
			return "", fmt.Errorf("git source %s: option %q is not supported", redact(u), k)
		}
	}
	if strings.HasPrefix(ref, "-") {
		return "", fmt.Errorf("git source %s: invalid ref %q", redact(u), ref)
	}
	u.RawQuery = ""
	remote := u.String()
	return f.fill(key, raw, func(dir string) error {
		if err := f.gitCheckout(ctx, remote, ref, dir); err != nil {
			return fmt.Errorf("git source %s%s: %w", redact(u), refText(ref), err)
		}
		if err := os.RemoveAll(filepath.Join(dir, ".git")); err != nil {
			return err
		}
		os.RemoveAll(filepath.Join(filepath.Dir(dir), ".home"))
		return checkTree(dir, f.opts.MaxBytes, f.opts.MaxFiles)
	})
}

func refText(ref string) string {
	if ref == "" {
		return ""
	}
	return " ref " + ref
}

// gitCheckout fetches ref (HEAD when empty) of remote into dir and checks it
// out. A commit the server will not serve shallowly is fetched with the
// full history.
func (f *Fetcher) gitCheckout(ctx context.Context, remote, ref, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	want := ref
	if want == "" {
		want = "HEAD"
	}
	if _, err := f.git(ctx, dir, "init", "-q"); err != nil {
		return err
	}
	// The transfer is watched: a repository that grows beyond the size
	// limit is stopped while it downloads, not after.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go watchSize(ctx, dir, f.opts.MaxBytes, stop)
	if _, err := f.git(ctx, dir, "fetch", "-q", "--no-tags", "--depth=1", "--", remote, want); err != nil {
		if !commitRef.MatchString(ref) || ctx.Err() != nil {
			return err
		}
		if _, err := f.git(ctx, dir, "fetch", "-q", "--", remote, "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"); err != nil {
			return err
		}
		want = ref
	} else {
		want = "FETCH_HEAD"
	}
	_, err := f.git(ctx, dir, "-c", "advice.detachedHead=false", "checkout", "-q", "--detach", want)
	return err
}

// git runs the git binary in dir with a configuration that ignores the
// user's and system's settings and credentials (no URL rewrites, credential
// helpers, .netrc or hooks), allows only https (and http to loopback when
// allowed) and never prompts.
func (f *Fetcher) git(ctx context.Context, dir string, args ...string) (string, error) {
	base := []string{"-c", "protocol.allow=never", "-c", "protocol.https.allow=always",
		"-c", "core.hooksPath=/dev/null", "-c", "core.symlinks=true", "-c", "submodule.recurse=false"}
	if f.opts.AllowLoopbackHTTP {
		base = append(base, "-c", "protocol.http.allow=always")
	}
	cmd := exec.CommandContext(ctx, f.opts.Git, append(base, args...)...)
	cmd.Dir = dir
	// An empty HOME beside the checkout (inside the temporary entry): no
	// ~/.netrc, ~/.git-credentials or XDG configuration.
	home := filepath.Join(filepath.Dir(dir), ".home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return "", err
	}
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_ASKPASS=", "SSH_ASKPASS=", "GIT_LFS_SKIP_SMUDGE=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", fmt.Errorf("the git binary is needed to download git sources: %w", err)
		}
		msg := strings.TrimSpace(out.String())
		if len(msg) > 400 {
			msg = msg[:400] + "..."
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("git %s: %w", args[0], context.Cause(ctx))
		}
		return "", fmt.Errorf("git %s: %v: %s", args[0], err, msg)
	}
	return out.String(), nil
}

// sizeCheckInterval is how often a running git transfer is measured.
const sizeCheckInterval = 200 * time.Millisecond

// errTooLarge stops a transfer that grew beyond the size limit.
var errTooLarge = errors.New("the repository is larger than the size limit")

// watchSize cancels ctx with errTooLarge once dir holds more than max bytes.
func watchSize(ctx context.Context, dir string, max int64, stop context.CancelCauseFunc) {
	t := time.NewTicker(sizeCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			var total int64
			filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					if info, err := d.Info(); err == nil {
						total += info.Size()
					}
				}
				return nil
			})
			if total > max {
				stop(fmt.Errorf("%w (%d bytes)", errTooLarge, max))
				return
			}
		}
	}
}

// checkTree enforces the limits on a checked-out tree and that every
// symlink stays inside it.
func checkTree(root string, maxBytes int64, maxFiles int) error {
	var bytes int64
	files := 0
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		files++
		if files > maxFiles {
			return fmt.Errorf("more than %d files", maxFiles)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if filepath.IsAbs(target) || !within(root, filepath.Join(filepath.Dir(p), target)) {
				rel, _ := filepath.Rel(root, p)
				return fmt.Errorf("symlink %s points outside the module (%s)", filepath.ToSlash(rel), target)
			}
			return nil
		}
		if !info.Mode().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			return fmt.Errorf("%s is not a regular file", filepath.ToSlash(rel))
		}
		bytes += info.Size()
		if bytes > maxBytes {
			return fmt.Errorf("larger than %d bytes", maxBytes)
		}
		return nil
	})
}

// within reports whether p is root or inside it (lexically).
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
