// Package modfetchtest serves Terraform modules on loopback for tests: a
// module registry (service discovery, versions, download with
// X-Terraform-Get, archives) over TLS, and Git repositories over git's smart
// HTTP protocol (git http-backend). Nothing reaches the internet.
package modfetchtest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sagefence/sagefence/internal/testutil"
)

// Registry is a module registry on https://127.0.0.1:PORT.
type Registry struct {
	// Host is the registry host of module addresses (127.0.0.1:PORT).
	Host   string
	server *httptest.Server
	// Requests counts every request served.
	Requests atomic.Int64
	mu       sync.Mutex
	// modules: "ns/name/provider" → version → X-Terraform-Get location.
	modules  map[string]map[string]string
	archives map[string][]byte
	// Token, when set, is the bearer token the module API requires.
	Token string
	// ArchiveAuth records the Authorization headers archive downloads carried.
	ArchiveAuth []string
}

// StartRegistry starts a registry; it stops when the test ends.
func StartRegistry(t testing.TB) *Registry {
	t.Helper()
	r := &Registry{modules: map[string]map[string]string{}, archives: map[string][]byte{}}
	r.server = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.server.Close)
	r.Host = strings.TrimPrefix(r.server.URL, "https://")
	return r
}

// Client trusts the registry's certificate.
func (r *Registry) Client() *http.Client { return r.server.Client() }

// URL is the registry's base URL.
func (r *Registry) URL() string { return r.server.URL }

// Add publishes a module version whose download answers with location.
func (r *Registry) Add(namespace, name, provider, version, location string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := namespace + "/" + name + "/" + provider
	if r.modules[k] == nil {
		r.modules[k] = map[string]string{}
	}
	r.modules[k][version] = location
}

// AddArchive serves an archive at /archives/NAME and returns its URL.
func (r *Registry) AddArchive(name string, data []byte) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.archives[name] = data
	return r.server.URL + "/archives/" + name
}

func (r *Registry) serve(w http.ResponseWriter, req *http.Request) {
	r.Requests.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	p := req.URL.Path
	switch {
	case p == "/.well-known/terraform.json":
		writeJSON(w, map[string]string{"modules.v1": "/v1/modules/"})
	case strings.HasPrefix(p, "/archives/"):
		r.ArchiveAuth = append(r.ArchiveAuth, req.Header.Get("Authorization"))
		data, ok := r.archives[strings.TrimPrefix(p, "/archives/")]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Write(data)
	case strings.HasPrefix(p, "/v1/modules/"):
		if r.Token != "" && req.Header.Get("Authorization") != "Bearer "+r.Token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		parts := strings.Split(strings.TrimPrefix(p, "/v1/modules/"), "/")
		if len(parts) < 4 {
			http.NotFound(w, req)
			return
		}
		versions, ok := r.modules[strings.Join(parts[:3], "/")]
		if !ok {
			http.NotFound(w, req)
			return
		}
		switch {
		case len(parts) == 4 && parts[3] == "versions":
			var list []map[string]string
			var vs []string
			for v := range versions {
				vs = append(vs, v)
			}
			sort.Strings(vs)
			for _, v := range vs {
				list = append(list, map[string]string{"version": v})
			}
			writeJSON(w, map[string]any{"modules": []any{map[string]any{"versions": list}}})
		case len(parts) == 5 && parts[4] == "download":
			loc, ok := versions[parts[3]]
			if !ok {
				http.NotFound(w, req)
				return
			}
			w.Header().Set("X-Terraform-Get", loc)
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, req)
		}
	default:
		http.NotFound(w, req)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// TarGz builds a .tar.gz of files (path → content); a path ending in "/" is
// a directory, and link entries are written as "name -> target".
func TarGz(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range sortedKeys(files) {
		content := files[name]
		var h *tar.Header
		switch {
		case strings.HasSuffix(name, "/"):
			h = &tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: 0o755}
		case strings.Contains(name, " -> "):
			n, target, _ := strings.Cut(name, " -> ")
			h = &tar.Header{Name: n, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777}
		default:
			h = &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(content))}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(content))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	gz.Close()
	return buf.Bytes()
}

// Zip builds a .zip of files (path → content).
func Zip(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range sortedKeys(files) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[name]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// GitServer serves bare repositories at http://127.0.0.1:PORT/NAME.git.
type GitServer struct {
	URL  string
	root string
	git  string
}

// StartGitServer starts git http-backend behind net/http/cgi. It needs the
// git binary (a failure in CI, a skip elsewhere).
func StartGitServer(t testing.TB) *GitServer {
	t.Helper()
	git := testutil.RequireTool(t, "git")
	out, err := exec.Command(git, "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		testutil.Missing(t, "git-http-backend is not installed ("+backend+")")
	}
	g := &GitServer{root: t.TempDir(), git: git}
	h := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + g.root, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	return g
}

// Commit is one commit of a test repository: files written (path →
// content; "" deletes; "symlink:TARGET" makes a symlink) and an optional tag.
type Commit struct {
	Files map[string]string
	Tag   string
}

// Repo creates NAME.git from commits on branch main and returns the commit
// hashes in order and the repository URL.
func (g *GitServer) Repo(t testing.TB, name string, commits ...Commit) (string, []string) {
	t.Helper()
	work := t.TempDir()
	run := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command(g.git, append([]string{"-c", "user.name=test", "-c", "user.email=test@example.invalid",
			"-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run(work, "init", "-q")
	var hashes []string
	for i, c := range commits {
		for p, content := range c.Files {
			full := filepath.Join(work, filepath.FromSlash(p))
			if content == "" {
				os.Remove(full)
				continue
			}
			os.MkdirAll(filepath.Dir(full), 0o755)
			if target, ok := strings.CutPrefix(content, "symlink:"); ok {
				if err := os.Symlink(target, full); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		run(work, "add", "-A")
		run(work, "commit", "-q", "--allow-empty", "-m", fmt.Sprintf("commit %d", i))
		if c.Tag != "" {
			run(work, "tag", c.Tag)
		}
		hashes = append(hashes, run(work, "rev-parse", "HEAD"))
	}
	bare := filepath.Join(g.root, name+".git")
	run(g.root, "clone", "-q", "--bare", work, bare)
	run(bare, "config", "uploadpack.allowReachableSHA1InWant", "true")
	return g.URL + "/" + name + ".git", hashes
}

// StartHanging starts a plain http server on loopback whose answers block
// until release is closed (or the request is cancelled); it returns its URL.
func StartHanging(t testing.TB, release <-chan struct{}) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
