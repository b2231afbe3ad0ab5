package modfetch

import "testing"

func TestSplitSubdir(t *testing.T) {
	tests := []struct{ in, src, sub string }{
		{"hashicorp/consul/aws", "hashicorp/consul/aws", ""},
		{"hashicorp/consul/aws//modules/x", "hashicorp/consul/aws", "modules/x"},
		{"git::https://example.com/r.git//sub/dir?ref=v1", "git::https://example.com/r.git?ref=v1", "sub/dir"},
		{"git::https://example.com/r.git?ref=v1", "git::https://example.com/r.git?ref=v1", ""},
		{"https://example.com/x.tgz//*?archive=tar.gz", "https://example.com/x.tgz?archive=tar.gz", "*"},
	}
	for _, tt := range tests {
		src, sub := splitSubdir(tt.in)
		if src != tt.src || sub != tt.sub {
			t.Errorf("splitSubdir(%q) = %q, %q; want %q, %q", tt.in, src, sub, tt.src, tt.sub)
		}
	}
}

func TestParseRegistry(t *testing.T) {
	tests := map[string]string{
		"hashicorp/consul/aws":               "registry.terraform.io/hashicorp/consul/aws",
		"terraform-aws-modules/vpc/aws":      "registry.terraform.io/terraform-aws-modules/vpc/aws",
		"app.terraform.io/acme/notebook/aws": "app.terraform.io/acme/notebook/aws",
		"127.0.0.1:8443/acme/notebook/aws":   "127.0.0.1:8443/acme/notebook/aws",
		"github.com/org/repo":                "",
		"github.com/org/repo/sub":            "",
		"bitbucket.org/org/repo/x":           "",
		"git::https://example.com/r.git":     "",
		"git@github.com:org/repo.git":        "",
		"https://example.com/a/b":            "",
		"./local/module":                     "",
		"hashicorp/consul":                   "",
		"example.com/a/b/c/d":                "",
		"hashicorp/con sul/aws":              "",
	}
	for in, want := range tests {
		got := ""
		if r, ok := parseRegistry(in); ok {
			got = r.String()
		}
		if got != want {
			t.Errorf("parseRegistry(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGitHubShorthand(t *testing.T) {
	tests := map[string]string{
		"github.com/org/repo":                 "https://github.com/org/repo.git",
		"github.com/org/repo.git":             "https://github.com/org/repo.git",
		"github.com/org/repo?ref=v1.2.0":      "https://github.com/org/repo.git?ref=v1.2.0",
		"github.com/org/repo/modules/x?ref=a": "https://github.com/org/repo.git//modules/x?ref=a",
	}
	for in, want := range tests {
		if !isGitHubShorthand(in) {
			t.Errorf("%q is not recognised as the GitHub shorthand", in)
		}
		if got := githubURL(in); got != want {
			t.Errorf("githubURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExactVersion(t *testing.T) {
	for in, want := range map[string]string{"1.2.3": "1.2.3", "= 1.2.3": "1.2.3", "=1.2.3": "1.2.3", "~> 1.2": "", ">= 1.0, < 2.0": "", "": "", "v1.0.0": "v1.0.0"} {
		got, ok := exactVersion(in)
		if ok != (want != "") || got != want {
			t.Errorf("exactVersion(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
