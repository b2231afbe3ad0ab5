package terraform

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sagefence/sagefence/internal/modfetch"
	mt "github.com/sagefence/sagefence/internal/modfetch/modfetchtest"
	"github.com/sagefence/sagefence/internal/safefs"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
)

// notebookModule is a module with one notebook whose access comes from a
// variable; the comment tells which copy was read.
func notebookModule(origin string) string {
	return "# " + origin + `
variable "access" {
  type = string
}

resource "aws_sagemaker_notebook_instance" "this" {
  name                   = "` + origin + `"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/nb"
  direct_internet_access = var.access
}
`
}

// TestDownloadModules: with a module downloader, registry and git sources
// that .terraform/modules does not hold are downloaded (from a registry and
// a git server on loopback), a source in modules.json is still read from
// there, and a download that fails is one gap naming the module.
func TestDownloadModules(t *testing.T) {
	git := mt.StartGitServer(t)
	repo, _ := git.Repo(t, "modules", mt.Commit{Files: map[string]string{
		"notebook/main.tf": notebookModule("git"),
	}, Tag: "v1.0.0"})
	reg := mt.StartRegistry(t)
	reg.Add("acme", "notebook", "aws", "1.0.0", reg.AddArchive("old.tgz", mt.TarGz(t, map[string]string{"main.tf": notebookModule("registry-1.0.0")})))
	reg.Add("acme", "notebook", "aws", "1.4.2", reg.AddArchive("new.tgz", mt.TarGz(t, map[string]string{
		"main.tf": notebookModule("registry-1.4.2") + `
module "inner" {
  source = "./modules/inner"
}
`,
		"modules/inner/main.tf": `resource "aws_sagemaker_notebook_instance" "inner" {
  name                   = "inner"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/nb"
  direct_internet_access = "Disabled"
}
`})))
	reg.Add("acme", "pinned", "aws", "2.0.0", reg.AddArchive("pinned.tgz", mt.TarGz(t, map[string]string{"main.tf": notebookModule("registry-pinned")})))

	root := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.tf", `
module "from_registry" {
  source  = "`+reg.Host+`/acme/notebook/aws"
  version = "~> 1.0"
  access  = "Enabled"
}

module "from_git" {
  source = "git::`+repo+`//notebook?ref=v1.0.0"
  access = "Disabled"
}

module "from_manifest" {
  source  = "`+reg.Host+`/acme/pinned/aws"
  version = "2.0.0"
  access  = "Enabled"
}

module "broken" {
  source = "git::`+repo+`?ref=no-such-tag"
}
`)
	// terraform init put from_manifest in .terraform/modules: that copy wins.
	write(".terraform/modules/modules.json", `{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"from_manifest","Source":"x","Version":"2.0.0","Dir":".terraform/modules/from_manifest"}]}`)
	write(".terraform/modules/from_manifest/main.tf", notebookModule("manifest"))

	f, err := modfetch.New(modfetch.Options{CacheDir: t.TempDir(), HTTPClient: reg.Client(), AllowLoopbackHTTP: true, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	jail, err := safefs.NewJail([]string{root}, []string{f.CacheDir()})
	if err != nil {
		t.Fatal(err)
	}
	res := Load(context.Background(), Input{Dirs: []string{root}, Args: []string{root}}, surface.Options{Jail: jail, Modules: f})
	for _, e := range res.Errors {
		t.Errorf("error: %s:%d %s", e.File, e.Line, e.Message)
	}
	got := map[string]string{}
	var gaps []*model.Gap
	for _, s := range res.Sets {
		for _, nb := range s.Notebooks {
			got[nb.Address] = nb.DirectInternetAccess.V
		}
		gaps = append(gaps, s.Gaps...)
	}
	want := map[string]string{
		"module.from_registry.aws_sagemaker_notebook_instance.this":               "Enabled",
		"module.from_registry.module.inner.aws_sagemaker_notebook_instance.inner": "Disabled",
		"module.from_git.aws_sagemaker_notebook_instance.this":                    "Disabled",
		"module.from_manifest.aws_sagemaker_notebook_instance.this":               "Enabled",
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(got) != len(want) {
		t.Errorf("notebooks %v, want %v", keys, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: direct_internet_access %q, want %q (have %v)", k, got[k], v, keys)
		}
	}
	// Which copies were read: the newest 1.x from the registry, the tag from
	// git, and the manifest's copy of from_manifest.
	for _, s := range res.Sets {
		for _, nb := range s.Notebooks {
			file := nb.Range.File
			switch nb.Address {
			case "module.from_registry.aws_sagemaker_notebook_instance.this":
				if !strings.HasPrefix(file, f.CacheDir()) || !strings.Contains(readOrEmpty(file), "# registry-1.4.2") {
					t.Errorf("from_registry read from %s", file)
				}
			case "module.from_git.aws_sagemaker_notebook_instance.this":
				if !strings.Contains(readOrEmpty(file), "# git") {
					t.Errorf("from_git read from %s", file)
				}
			case "module.from_manifest.aws_sagemaker_notebook_instance.this":
				if !strings.Contains(filepath.ToSlash(file), ".terraform/modules/from_manifest") {
					t.Errorf("from_manifest read from %s, not from .terraform/modules", file)
				}
			}
		}
	}
	if len(gaps) != 1 {
		t.Fatalf("gaps %+v, want one for module.broken", gaps)
	}
	g := gaps[0]
	if g.Address != "module.broken" || g.Kind != model.GapModuleNotDownloaded ||
		!strings.Contains(g.Reason, "could not be downloaded") || !strings.Contains(g.Reason, "ref no-such-tag") {
		t.Errorf("gap = %+v", g)
	}
}

func readOrEmpty(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}
