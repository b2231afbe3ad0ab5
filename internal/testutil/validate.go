package testutil

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// CopyDir copies the regular files under src into dst (created), keeping
// the relative layout and skipping .terraform directories and lock files, so
// that terraform can run on a copy without touching the source tree.
func CopyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return fs.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() || d.Name() == ".terraform.lock.hcl" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatalf("copying %s to %s: %v", src, dst, err)
	}
}

// TerraformValidate runs `terraform init -plugin-dir <mirror> -backend=false`
// and `terraform validate` in dir, offline. It fails the test with
// terraform's output when either fails. Run it on a copy (CopyDir): init
// writes .terraform and a lock file.
func TerraformValidate(t testing.TB, dir string) {
	t.Helper()
	bin := RequireTool(t, "terraform")
	plugins := TerraformPluginDir(t)
	run := func(args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("terraform %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
		}
	}
	run("init", "-input=false", "-no-color", "-backend=false", "-plugin-dir", plugins)
	run("validate", "-no-color")
}

// CfnLint runs cfn-lint on the templates and fails the test with its output
// unless it reports nothing (errors, warnings and informational findings all
// fail).
func CfnLint(t testing.TB, templates ...string) {
	t.Helper()
	bin := RequireTool(t, "cfn-lint")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--"}, templates...)...)
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("cfn-lint %s: %v\n%s", strings.Join(templates, " "), err, out)
	}
}
