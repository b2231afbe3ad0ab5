// Package modfetch downloads remote Terraform module sources into a local
// cache, for `sagefence scan --download-modules`. It speaks the Terraform
// module registry protocol (service discovery, versions, download with
// X-Terraform-Get) and fetches Git sources with the git binary and archives
// with net/http, archive/tar and archive/zip.
//
// Contract:
//   - Sources are read as Terraform reads them: a registry address
//     ([HOST/]NAMESPACE/NAME/PROVIDER, host registry.terraform.io by default)
//     with a version constraint; git::URL with ?ref= (branch, tag or commit);
//     the github.com/ORG/REPO shorthand; an https URL of a .zip/.tar.gz/.tgz/
//     .tar archive (or ?archive=FORMAT); and //subdir after any of them (a
//     glob such as //* must match one directory).
//   - Only https is used. Plain http is refused unless Options.AllowLoopbackHTTP
//     is set and the host is a loopback address (tests). SSH, S3, GCS and
//     Mercurial sources are refused with an error naming the source.
//   - Every download is bounded: Options.MaxBytes (bytes downloaded and bytes
//     written), Options.MaxFiles (files written) and Options.Timeout (per
//     module); a git transfer is measured while it runs and stopped when it
//     outgrows MaxBytes. Archive entries cannot leave their directory
//     (absolute paths, "..", links are refused), and symlinks in a Git
//     checkout must stay inside it. git runs without the user's or system's
//     configuration (no URL rewrites, credential helpers, hooks or prompts).
//   - The cache is keyed by source and version: a registry module by its
//     address and resolved version, any other source by its location
//     (including ?ref=). An entry is written to a temporary directory and
//     renamed into place when complete, so an interrupted download is never
//     used. A registry module whose constraint is one exact version is used
//     from the cache without asking the registry; a Git source without ?ref=
//     is cached as the default branch at its first download.
//   - A registry token (Options.Token; EnvToken reads TF_TOKEN_<host>) is
//     sent only to the module API on the registry's own host, never to the
//     location a download points to; git gets no credentials, so only public
//     git sources are fetched.
//   - Each (source, version) is fetched at most once per Fetcher, however many
//     module calls and roots name it; concurrent callers wait for the first.
//   - Every failure is an error naming the source; the caller reports it as
//     a gap of the module call, never as a pass.
package modfetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Options configure a Fetcher. Zero limits take the defaults.
type Options struct {
	// CacheDir holds downloaded modules; created (0700) when missing.
	// Empty means DefaultCacheDir().
	CacheDir string
	// HTTPClient makes the registry and archive requests; nil means a client
	// that refuses redirects to anything but https.
	HTTPClient *http.Client
	// MaxBytes bounds the bytes one module downloads and writes
	// (DefaultMaxBytes).
	MaxBytes int64
	// MaxFiles bounds the files one module writes (DefaultMaxFiles).
	MaxFiles int
	// Timeout bounds the time one module takes (DefaultTimeout).
	Timeout time.Duration
	// Git is the git binary ("git" from PATH when empty).
	Git string
	// AllowLoopbackHTTP lets plain http reach loopback hosts (tests only).
	AllowLoopbackHTTP bool
	// Token returns the API token of a registry host ("" for none); it is
	// sent only to that host's module API (EnvToken reads TF_TOKEN_*).
	Token func(host string) string
}

// Defaults of Options.
const (
	DefaultMaxBytes = 200 << 20
	DefaultMaxFiles = 20_000
	DefaultTimeout  = 2 * time.Minute
)

// DefaultCacheDir is <user cache dir>/sagefence/modules
// (~/.cache/sagefence/modules on Linux).
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory (%v): give --module-cache DIR", err)
	}
	return filepath.Join(d, "sagefence", "modules"), nil
}

// Fetcher downloads modules into its cache. It is safe for concurrent use.
type Fetcher struct {
	opts  Options
	mu    sync.Mutex
	calls map[string]*call
	// services memoises service discovery per registry host.
	services map[string]*call
	stats    Stats
}

// Stats count the distinct module sources (and versions) a Fetcher was asked for.
type Stats struct {
	// Downloaded were fetched into the cache; Cached were already there;
	// Failed could not be fetched.
	Downloaded, Cached, Failed int
}

// Stats returns the counts so far.
func (f *Fetcher) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

func (f *Fetcher) count(field *int) {
	f.mu.Lock()
	*field++
	f.mu.Unlock()
}

// call is one fetch in flight or done.
type call struct {
	done chan struct{}
	dir  string
	err  error
}

// New returns a Fetcher, creating the cache directory.
func New(opts Options) (*Fetcher, error) {
	if opts.CacheDir == "" {
		d, err := DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		opts.CacheDir = d
	}
	abs, err := filepath.Abs(opts.CacheDir)
	if err != nil {
		return nil, fmt.Errorf("module cache %s: %w", opts.CacheDir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("module cache: %w", err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	opts.CacheDir = abs
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = DefaultMaxFiles
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Git == "" {
		opts.Git = "git"
	}
	removeStale(abs)
	f := &Fetcher{opts: opts, calls: map[string]*call{}, services: map[string]*call{}}
	if opts.HTTPClient == nil {
		f.opts.HTTPClient = &http.Client{CheckRedirect: f.checkRedirect}
	}
	return f, nil
}

// staleAfter is the age after which a leftover of an interrupted download
// (a process killed mid-download) is removed.
const staleAfter = 24 * time.Hour

// removeStale deletes the temporary entries of downloads that never finished.
func removeStale(cache string) {
	entries, err := os.ReadDir(cache)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".partial-") && !strings.HasPrefix(e.Name(), ".download-") {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleAfter {
			os.RemoveAll(filepath.Join(cache, e.Name()))
		}
	}
}

// CacheDir is the absolute cache directory (symlinks resolved).
func (f *Fetcher) CacheDir() string { return f.opts.CacheDir }

func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return f.checkURL(req.URL)
}

// Download returns the directory of a module source, downloading it into
// the cache when needed. version is the module call's version constraint
// ("" for none; registry sources only).
func (f *Fetcher) Download(ctx context.Context, source, version string) (string, error) {
	return f.once(f.calls, source+"\x00"+version, func() (string, error) {
		ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
		defer cancel()
		dir, err := f.fetch(ctx, source, version)
		if err != nil {
			f.count(&f.stats.Failed)
			if ctx.Err() == context.DeadlineExceeded {
				err = fmt.Errorf("%w (took longer than %s)", err, f.opts.Timeout)
			}
		}
		return dir, err
	})
}

// once runs fn for key at most once; concurrent callers wait for it.
func (f *Fetcher) once(m map[string]*call, key string, fn func() (string, error)) (string, error) {
	f.mu.Lock()
	c, ok := m[key]
	if !ok {
		c = &call{done: make(chan struct{})}
		m[key] = c
	}
	f.mu.Unlock()
	if ok {
		<-c.done
		return c.dir, c.err
	}
	c.dir, c.err = fn()
	close(c.done)
	return c.dir, c.err
}

func (f *Fetcher) fetch(ctx context.Context, source, version string) (string, error) {
	src, subdir := splitSubdir(source)
	if reg, ok := parseRegistry(src); ok {
		dir, err := f.registry(ctx, reg, version)
		if err != nil {
			return "", err
		}
		return inSubdir(dir, subdir)
	}
	dir, err := f.location(ctx, src, "")
	if err != nil {
		return "", err
	}
	return inSubdir(dir, subdir)
}

// location fetches a go-getter style location (no registry address): git::,
// the github.com shorthand, or an https archive, into the cache entry of key
// (the location itself when key is ""). A location may carry its own
// //subdir (X-Terraform-Get does).
func (f *Fetcher) location(ctx context.Context, loc, key string) (string, error) {
	src, subdir := splitSubdir(loc)
	if key == "" {
		key = src
	}
	var dir string
	var err error
	switch forced, rest := forcedGetter(src); {
	case isSCPLike(rest):
		return "", fmt.Errorf("SSH Git sources are not downloaded (only https); run `terraform init` and scan with .terraform/modules in place")
	case forced == "git":
		dir, err = f.gitSource(ctx, rest, key)
	case forced != "":
		return "", fmt.Errorf("%s:: sources are not downloaded by sagefence (only registry, git:: over https and https archives); run `terraform init` and scan with .terraform/modules in place", forced)
	case isGitHubShorthand(src):
		dir, err = f.location(ctx, "git::"+githubURL(src), key)
	case strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://"):
		dir, err = f.httpSource(ctx, src, key)
	default:
		return "", fmt.Errorf("unsupported module source (sagefence downloads registry modules, git:: over https, github.com/ORG/REPO and https archives)")
	}
	if err != nil {
		return "", err
	}
	return inSubdir(dir, subdir)
}

// splitSubdir splits "SRC//sub/dir?q" into "SRC?q" and "sub/dir", as go-getter does.
func splitSubdir(src string) (string, string) {
	start := 0
	if i := strings.Index(src, "://"); i >= 0 {
		start = i + 3
	}
	q := ""
	body := src
	if i := strings.Index(src[start:], "?"); i >= 0 {
		body, q = src[:start+i], src[start+i:]
	}
	i := strings.Index(body[start:], "//")
	if i < 0 {
		return src, ""
	}
	return body[:start+i] + q, strings.Trim(body[start+i+2:], "/")
}

// inSubdir returns dir/subdir after checking it stays inside dir and is a
// directory; a glob must match exactly one directory.
func inSubdir(dir, subdir string) (string, error) {
	if subdir == "" {
		return dir, nil
	}
	clean := path.Clean(subdir)
	if clean == ".." || strings.HasPrefix(clean, "../") || path.IsAbs(clean) {
		return "", fmt.Errorf("subdirectory %q leaves the module package", subdir)
	}
	target := filepath.Join(dir, filepath.FromSlash(clean))
	if strings.ContainsAny(clean, "*?[") {
		matches, err := filepath.Glob(target)
		if err != nil || len(matches) != 1 {
			return "", fmt.Errorf("subdirectory pattern %q matches %d entries, want exactly one", subdir, len(matches))
		}
		target = matches[0]
	}
	st, err := os.Stat(target)
	if err != nil || !st.IsDir() {
		return "", fmt.Errorf("subdirectory %q is not in the module package", subdir)
	}
	return target, nil
}

// forcedGetter splits "git::URL" into "git" and "URL".
func forcedGetter(src string) (string, string) {
	if i := strings.Index(src, "::"); i > 0 && !strings.Contains(src[:i], "/") {
		return src[:i], src[i+2:]
	}
	return "", src
}

var (
	registryPart = regexp.MustCompile(`^[0-9A-Za-z](?:[0-9A-Za-z_-]{0,62}[0-9A-Za-z])?$`)
	githubShort  = regexp.MustCompile(`^github\.com/[^/?]+/[^/?]+`)
	scpLike      = regexp.MustCompile(`^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:`)
)

// registryAddr is a module registry address.
type registryAddr struct {
	host, namespace, name, provider string
}

func (r registryAddr) String() string {
	return r.host + "/" + r.namespace + "/" + r.name + "/" + r.provider
}

// parseRegistry reads [HOST/]NAMESPACE/NAME/PROVIDER (no //subdir, no query).
func parseRegistry(src string) (registryAddr, bool) {
	if strings.ContainsAny(src, "?:@") && !hostWithPort(src) {
		return registryAddr{}, false
	}
	parts := strings.Split(src, "/")
	host := "registry.terraform.io"
	switch len(parts) {
	case 3:
	case 4:
		host = strings.ToLower(parts[0])
		if !strings.ContainsAny(host, ".:") && host != "localhost" {
			return registryAddr{}, false
		}
		if host == "github.com" || host == "bitbucket.org" {
			return registryAddr{}, false
		}
		parts = parts[1:]
	default:
		return registryAddr{}, false
	}
	for _, p := range parts {
		if !registryPart.MatchString(p) {
			return registryAddr{}, false
		}
	}
	return registryAddr{host: host, namespace: parts[0], name: parts[1], provider: parts[2]}, true
}

// hostWithPort reports "host:port/..." (a registry on a port).
func hostWithPort(src string) bool {
	first, _, _ := strings.Cut(src, "/")
	h, p, err := net.SplitHostPort(first)
	return err == nil && h != "" && p != "" && !strings.ContainsAny(src[len(first):], "?:@")
}

func isGitHubShorthand(src string) bool { return githubShort.MatchString(src) }

// githubURL turns github.com/ORG/REPO[/sub][?q] into
// https://github.com/ORG/REPO.git[//sub][?q].
func githubURL(src string) string {
	body, q, _ := strings.Cut(src, "?")
	parts := strings.SplitN(body, "/", 4)
	u := "https://github.com/" + parts[1] + "/" + strings.TrimSuffix(parts[2], ".git") + ".git"
	if len(parts) == 4 && parts[3] != "" {
		u += "//" + parts[3]
	}
	if q != "" {
		u += "?" + q
	}
	return u
}

func isSCPLike(src string) bool { return scpLike.MatchString(src) && !strings.Contains(src, "://") }

// checkURL allows https, and http to loopback hosts when allowed.
func (f *Fetcher) checkURL(u *url.URL) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if f.opts.AllowLoopbackHTTP && isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%s is plain http: modules are downloaded over https only", redact(u))
	default:
		return fmt.Errorf("%s: scheme %q is not downloaded (https only)", redact(u), u.Scheme)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redact drops credentials from a URL for messages.
func redact(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User("REDACTED")
	}
	return c.String()
}

// origin is the cache entry's record of what it holds.
type origin struct {
	Source     string    `json:"source"`
	Version    string    `json:"version,omitempty"`
	Location   string    `json:"location,omitempty"`
	Downloaded time.Time `json:"downloaded"`
}

const (
	originFile = "origin.json"
	moduleDir  = "module"
)

// entryDir is the cache directory of a key.
func (f *Fetcher) entryDir(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(f.opts.CacheDir, hex.EncodeToString(sum[:12]))
}

// cached returns the module directory of a complete cache entry.
func (f *Fetcher) cached(key string) (string, bool) {
	e := f.entryDir(key)
	raw, err := os.ReadFile(filepath.Join(e, originFile))
	if err != nil {
		return "", false
	}
	var o origin
	if json.Unmarshal(raw, &o) != nil || o.Source != key {
		return "", false
	}
	return filepath.Join(e, moduleDir), true
}

// cachedHit is cached, counted as a module served from the cache.
func (f *Fetcher) cachedHit(key string) (string, bool) {
	dir, ok := f.cached(key)
	if ok {
		f.count(&f.stats.Cached)
	}
	return dir, ok
}

// fill creates the cache entry of key: write fills a fresh directory, and the
// entry is renamed into place when write succeeds.
func (f *Fetcher) fill(key, location string, write func(dir string) error) (string, error) {
	if dir, ok := f.cachedHit(key); ok {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(f.opts.CacheDir, ".partial-")
	if err != nil {
		return "", fmt.Errorf("module cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := write(filepath.Join(tmp, moduleDir)); err != nil {
		return "", err
	}
	rec, _ := json.MarshalIndent(origin{Source: key, Location: location, Downloaded: time.Now().UTC()}, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, originFile), rec, 0o600); err != nil {
		return "", fmt.Errorf("module cache: %w", err)
	}
	e := f.entryDir(key)
	f.count(&f.stats.Downloaded)
	if err := os.Rename(tmp, e); err != nil {
		// Another process filled it first: use theirs.
		if dir, ok := f.cached(key); ok {
			return dir, nil
		}
		os.RemoveAll(e) // an incomplete leftover
		if err := os.Rename(tmp, e); err != nil {
			return "", fmt.Errorf("module cache: %w", err)
		}
	}
	return filepath.Join(e, moduleDir), nil
}
