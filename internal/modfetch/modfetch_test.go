package modfetch_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagefence/sagefence/internal/modfetch"
	mt "github.com/sagefence/sagefence/internal/modfetch/modfetchtest"
)

const notebookTF = `resource "aws_sagemaker_notebook_instance" "this" {
  name                   = "nb"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/nb"
  direct_internet_access = "Enabled"
}
`

func newFetcher(t *testing.T, reg *mt.Registry, mod func(*modfetch.Options)) *modfetch.Fetcher {
	t.Helper()
	opts := modfetch.Options{CacheDir: t.TempDir(), AllowLoopbackHTTP: true, Timeout: 30 * time.Second}
	if reg != nil {
		opts.HTTPClient = reg.Client()
	}
	if mod != nil {
		mod(&opts)
	}
	f, err := modfetch.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(b)
}

func TestRegistryVersionConstraintAndArchive(t *testing.T) {
	reg := mt.StartRegistry(t)
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0-beta1", "2.0.0"} {
		url := reg.AddArchive("nb-"+v+".tar.gz", mt.TarGz(t, map[string]string{
			"main.tf":            "# version " + v + "\n" + notebookTF,
			"modules/":           "",
			"modules/sub/sub.tf": "# sub " + v + "\n",
		}))
		reg.Add("acme", "notebook", "aws", v, url)
	}
	f := newFetcher(t, reg, nil)
	ctx := context.Background()
	tests := []struct{ constraint, want string }{
		{"~> 1.0", "# version 1.1.0"},
		{"", "# version 2.0.0"},
		{"< 2.0.0, >= 1.0.0", "# version 1.1.0"},
		{"1.0.0", "# version 1.0.0"},
		{"1.2.0-beta1", "# version 1.2.0-beta1"},
	}
	for _, tt := range tests {
		dir, err := f.Download(ctx, reg.Host+"/acme/notebook/aws", tt.constraint)
		if err != nil {
			t.Fatalf("constraint %q: %v", tt.constraint, err)
		}
		if got := readFile(t, filepath.Join(dir, "main.tf")); !strings.HasPrefix(got, tt.want) {
			t.Errorf("constraint %q: main.tf starts %q, want %q", tt.constraint, got[:20], tt.want)
		}
		if !strings.HasPrefix(dir, f.CacheDir()) {
			t.Errorf("%s is not in the cache %s", dir, f.CacheDir())
		}
	}
	sub, err := f.Download(ctx, reg.Host+"/acme/notebook/aws//modules/sub", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(sub, "sub.tf")); got != "# sub 1.0.0\n" {
		t.Errorf("//modules/sub: %q", got)
	}

	// A second fetcher on the same cache uses an exact version without
	// asking the registry at all.
	before := reg.Requests.Load()
	f2 := newFetcher(t, reg, func(o *modfetch.Options) { o.CacheDir = f.CacheDir() })
	dir, err := f2.Download(ctx, reg.Host+"/acme/notebook/aws", "1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(readFile(t, filepath.Join(dir, "main.tf")), "# version 1.1.0") {
		t.Error("cached 1.1.0 has the wrong content")
	}
	if n := reg.Requests.Load() - before; n != 0 {
		t.Errorf("an exact cached version made %d registry requests, want 0", n)
	}

	_, err = f.Download(ctx, reg.Host+"/acme/notebook/aws", "~> 3.0")
	if err == nil || !strings.Contains(err.Error(), `no version of registry module `+reg.Host+`/acme/notebook/aws matches "~> 3.0"`) {
		t.Errorf("unmatched constraint: %v", err)
	}
	_, err = f.Download(ctx, reg.Host+"/acme/missing/aws", "")
	if err == nil || !strings.Contains(err.Error(), "acme/missing/aws") || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing module: %v", err)
	}
	// 1.1.0, 2.0.0, 1.0.0 and 1.2.0-beta1 downloaded; 1.1.0 again and
	// 1.0.0//modules/sub from the cache; ~> 3.0 and the missing module failed.
	if got, want := f.Stats(), (modfetch.Stats{Downloaded: 4, Cached: 2, Failed: 2}); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
	if got, want := f2.Stats(), (modfetch.Stats{Cached: 1}); got != want {
		t.Errorf("second fetcher stats %+v, want %+v", got, want)
	}
}

func TestRegistryPointsToGit(t *testing.T) {
	git := mt.StartGitServer(t)
	repo, _ := git.Repo(t, "modules",
		mt.Commit{Files: map[string]string{"modules/notebook/main.tf": "# v1\n" + notebookTF}, Tag: "v1.0.0"},
		mt.Commit{Files: map[string]string{"modules/notebook/main.tf": "# v2\n" + notebookTF}, Tag: "v2.0.0"})
	reg := mt.StartRegistry(t)
	reg.Add("acme", "notebook", "aws", "1.0.0", "git::"+repo+"//modules/notebook?ref=v1.0.0")
	f := newFetcher(t, reg, nil)
	dir, err := f.Download(context.Background(), reg.Host+"/acme/notebook/aws", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "main.tf")); !strings.HasPrefix(got, "# v1\n") {
		t.Errorf("main.tf = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "..", "..", ".git")); !os.IsNotExist(err) {
		t.Errorf("the .git directory is kept in the cache: %v", err)
	}
}

func TestGitSources(t *testing.T) {
	git := mt.StartGitServer(t)
	repo, hashes := git.Repo(t, "nb",
		mt.Commit{Files: map[string]string{"main.tf": "# one\n", "sub/x.tf": "# sub one\n"}, Tag: "v1"},
		mt.Commit{Files: map[string]string{"main.tf": "# two\n"}},
		mt.Commit{Files: map[string]string{"main.tf": "# three\n"}})
	f := newFetcher(t, nil, nil)
	ctx := context.Background()
	tests := []struct{ source, file, want string }{
		{"git::" + repo, "main.tf", "# three\n"},
		{"git::" + repo + "?ref=v1", "main.tf", "# one\n"},
		{"git::" + repo + "?ref=" + hashes[1], "main.tf", "# two\n"},
		{"git::" + repo + "?ref=" + hashes[1][:12], "main.tf", "# two\n"},
		{"git::" + repo + "//sub?ref=v1", "x.tf", "# sub one\n"},
		{"git::" + repo + "?ref=main&depth=1", "main.tf", "# three\n"},
	}
	for _, tt := range tests {
		dir, err := f.Download(ctx, tt.source, "")
		if err != nil {
			t.Errorf("%s: %v", tt.source, err)
			continue
		}
		if got := readFile(t, filepath.Join(dir, tt.file)); got != tt.want {
			t.Errorf("%s: %s = %q, want %q", tt.source, tt.file, got, tt.want)
		}
	}
	_, err := f.Download(ctx, "git::"+repo+"?ref=no-such-tag", "")
	if err == nil || !strings.Contains(err.Error(), "ref no-such-tag") {
		t.Errorf("missing ref: %v", err)
	}
	_, err = f.Download(ctx, "git::"+repo+"//nope?ref=v1", "")
	if err == nil || !strings.Contains(err.Error(), `subdirectory "nope"`) {
		t.Errorf("missing subdir: %v", err)
	}
}

func TestConcurrentCallsFetchOnce(t *testing.T) {
	reg := mt.StartRegistry(t)
	reg.Add("acme", "notebook", "aws", "1.0.0", reg.AddArchive("a.tgz", mt.TarGz(t, map[string]string{"main.tf": notebookTF})))
	f := newFetcher(t, reg, nil)
	var wg sync.WaitGroup
	dirs := make([]string, 8)
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := f.Download(context.Background(), reg.Host+"/acme/notebook/aws", "~> 1.0")
			if err != nil {
				t.Error(err)
			}
			dirs[i] = d
		}()
	}
	wg.Wait()
	for _, d := range dirs {
		if d != dirs[0] {
			t.Fatalf("different directories: %v", dirs)
		}
	}
	// discovery + versions + download + archive
	if n := reg.Requests.Load(); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
}

func TestArchiveSafety(t *testing.T) {
	reg := mt.StartRegistry(t)
	tests := []struct {
		name  string
		data  []byte
		ext   string
		limit func(*modfetch.Options)
		want  string
	}{
		{"zip slip", mt.Zip(t, map[string]string{"main.tf": "#", "../../escaped.tf": "#"}), "zip", nil, `"../../escaped.tf" leaves the module directory`},
		{"tar slip", mt.TarGz(t, map[string]string{"a/../../escaped.tf": "#"}), "tar.gz", nil, "leaves the module directory"},
		{"absolute", mt.TarGz(t, map[string]string{"/etc/escaped.tf": "#"}), "tar.gz", nil, "absolute path"},
		{"symlink", mt.TarGz(t, map[string]string{"main.tf -> /etc/passwd": ""}), "tgz", nil, "is a link"},
		{"too many files", mt.TarGz(t, map[string]string{"a.tf": "#", "b.tf": "#", "c.tf": "#"}), "tar.gz",
			func(o *modfetch.Options) { o.MaxFiles = 2 }, "more files than the limit"},
		{"too large", mt.TarGz(t, map[string]string{"a.tf": strings.Repeat("x", 4096)}), "tar.gz",
			func(o *modfetch.Options) { o.MaxBytes = 1024 }, "limit"},
		{"not an archive", []byte("<html>"), "zip", nil, "not a zip archive"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := reg.AddArchive("x"+string(rune('a'+i))+"."+tt.ext, tt.data)
			f := newFetcher(t, reg, tt.limit)
			_, err := f.Download(context.Background(), url, "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			// Nothing escaped and nothing half-written stays in the cache.
			entries, _ := os.ReadDir(f.CacheDir())
			if len(entries) != 0 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("cache holds %v after a failed download", names)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(f.CacheDir()), "escaped.tf")); err == nil {
				t.Error("an entry escaped the cache")
			}
		})
	}
}

func TestRefusedSources(t *testing.T) {
	f := newFetcher(t, nil, func(o *modfetch.Options) { o.AllowLoopbackHTTP = false })
	tests := []struct{ source, want string }{
		{"git::http://127.0.0.1:1/x.git", "https only"},
		{"git::http://example.com/x.git", "https only"},
		{"https://127.0.0.1:1/x.zip?archive=rar", "not supported"},
		{"git::ssh://git@example.com/x.git", `scheme "ssh"`},
		{"git@github.com:org/repo.git", "SSH Git sources"},
		{"git::git@github.com:org/repo.git?ref=v1", "SSH Git sources"},
		{"s3::https://s3.amazonaws.com/bucket/x.zip", "s3:: sources are not downloaded"},
		{"gcs::https://www.googleapis.com/storage/v1/b/x.zip", "gcs:: sources"},
		{"hg::https://example.com/repo", "hg:: sources"},
		{"bitbucket.org/org/repo", "unsupported module source"},
		{"git::file:///etc", `scheme "file"`},
		{"git::https://example.com/x.git?sshkey=abc", `option "sshkey"`},
	}
	for _, tt := range tests {
		_, err := f.Download(context.Background(), tt.source, "")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.source, err, tt.want)
		}
	}
}

func TestTimeout(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	f := newFetcher(t, nil, func(o *modfetch.Options) { o.Timeout = 200 * time.Millisecond })
	srv := mt.StartHanging(t, hang)
	start := time.Now()
	_, err := f.Download(context.Background(), srv+"/x.tar.gz", "")
	if err == nil || !strings.Contains(err.Error(), "took longer than 200ms") {
		t.Errorf("err = %v, want the timeout named", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestGitSizeLimit(t *testing.T) {
	git := mt.StartGitServer(t)
	big := make([]byte, 3<<20)
	rand.Read(big) // incompressible
	repo, _ := git.Repo(t, "big", mt.Commit{Files: map[string]string{"main.tf": "# x\n", "blob.bin": string(big)}})
	f := newFetcher(t, nil, func(o *modfetch.Options) { o.MaxBytes = 1 << 20 })
	_, err := f.Download(context.Background(), "git::"+repo, "")
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v, want the size limit named", err)
	}
	if entries, _ := os.ReadDir(f.CacheDir()); len(entries) != 0 {
		t.Errorf("cache holds %d entries after a refused download", len(entries))
	}
}

func TestStaleLeftoversAreRemoved(t *testing.T) {
	cache := t.TempDir()
	old := filepath.Join(cache, ".partial-123")
	fresh := filepath.Join(cache, ".partial-456")
	kept := filepath.Join(cache, "0123456789abcdef01234567")
	for _, d := range []string{old, fresh, kept} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-48 * time.Hour)
	os.Chtimes(old, past, past)
	os.Chtimes(kept, past, past)
	newFetcher(t, nil, func(o *modfetch.Options) { o.CacheDir = cache })
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("a day-old partial download is kept: %v", err)
	}
	for _, d := range []string{fresh, kept} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(d), err)
		}
	}
}

// TestArchiveGlobSubdir: the form GitHub archives take in X-Terraform-Get,
// URL//*?archive=tar.gz, reads the archive's single top-level directory.
func TestArchiveGlobSubdir(t *testing.T) {
	reg := mt.StartRegistry(t)
	url := reg.AddArchive("tarball-v1", mt.TarGz(t, map[string]string{
		"org-mod-1a2b3c/":            "",
		"org-mod-1a2b3c/main.tf":     "# top\n",
		"org-mod-1a2b3c/sub/main.tf": "# sub\n",
	}))
	reg.Add("acme", "globbed", "aws", "1.0.0", url+"//*?archive=tar.gz")
	f := newFetcher(t, reg, nil)
	dir, err := f.Download(context.Background(), reg.Host+"/acme/globbed/aws//sub", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "main.tf")); got != "# sub\n" {
		t.Errorf("main.tf = %q", got)
	}
}

func TestRegistryToken(t *testing.T) {
	reg := mt.StartRegistry(t)
	reg.Token = "s3cret"
	reg.Add("acme", "private", "aws", "1.0.0", reg.AddArchive("p.tgz", mt.TarGz(t, map[string]string{"main.tf": "# private\n"})))
	_, err := newFetcher(t, reg, nil).Download(context.Background(), reg.Host+"/acme/private/aws", "")
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "TF_TOKEN_") {
		t.Errorf("without a token: %v", err)
	}
	f := newFetcher(t, reg, func(o *modfetch.Options) {
		o.Token = func(host string) string {
			if host == reg.Host {
				return "s3cret"
			}
			return ""
		}
	})
	dir, err := f.Download(context.Background(), reg.Host+"/acme/private/aws", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "main.tf")); got != "# private\n" {
		t.Errorf("main.tf = %q", got)
	}
	for _, a := range reg.ArchiveAuth {
		if a != "" {
			t.Errorf("the registry token was sent with the archive download: %q", a)
		}
	}
}

func TestEnvToken(t *testing.T) {
	env := map[string]string{"TF_TOKEN_app_terraform_io": "a", "TF_TOKEN_my__registry_example_com": "b"}
	tok := modfetch.EnvToken(func(k string) string { return env[k] })
	for host, want := range map[string]string{"app.terraform.io": "a", "my-registry.example.com": "b", "APP.terraform.io": "a",
		"registry.terraform.io": "", "localhost:8443": ""} {
		if got := tok(host); got != want {
			t.Errorf("token(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestGitSymlinks(t *testing.T) {
	git := mt.StartGitServer(t)
	repo, _ := git.Repo(t, "links",
		mt.Commit{Files: map[string]string{"main.tf": "# x\n", "modules/a/main.tf": "# a\n", "shared.tf": "symlink:modules/a/main.tf"}, Tag: "inside"},
		mt.Commit{Files: map[string]string{"secrets.tf": "symlink:../../../../etc/passwd"}, Tag: "outside"})
	f := newFetcher(t, nil, nil)
	dir, err := f.Download(context.Background(), "git::"+repo+"?ref=inside", "")
	if err != nil {
		t.Fatalf("a symlink inside the checkout: %v", err)
	}
	if got := readFile(t, filepath.Join(dir, "shared.tf")); got != "# a\n" {
		t.Errorf("shared.tf = %q", got)
	}
	_, err = f.Download(context.Background(), "git::"+repo+"?ref=outside", "")
	if err == nil || !strings.Contains(err.Error(), "symlink secrets.tf points outside the module") {
		t.Errorf("a symlink out of the checkout: %v", err)
	}
}
