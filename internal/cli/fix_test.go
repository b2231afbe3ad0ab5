package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFixCommand(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "main.tf")
	src := `resource "aws_sagemaker_notebook_instance" "nb" {
  name                   = "nb"
  role_arn               = "arn:aws:iam::123456789012:role/nb"
  instance_type          = "ml.t3.medium"
  subnet_id              = "subnet-0123456789abcdef0"
  security_groups        = ["sg-0123456789abcdef0"]
  direct_internet_access = "Enabled"
}
`
	if err := os.WriteFile(main, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, "fix", dir)
	if code != 0 || !strings.Contains(out, `+  direct_internet_access = "Disabled"`) || !strings.Contains(errOut, "DESTROYED AND RECREATED") {
		t.Fatalf("diff run: exit %d\n%s\n%s", code, out, errOut)
	}
	if got, _ := os.ReadFile(main); string(got) != src {
		t.Fatal("fix without --write changed the file")
	}
	if _, errOut, code := runCLI(t, "fix", "--write", dir); code != 0 || !strings.Contains(errOut, "wrote 1 file") {
		t.Fatalf("--write: exit %d: %s", code, errOut)
	}
	got, _ := os.ReadFile(main)
	if !strings.Contains(string(got), `direct_internet_access = "Disabled"`) {
		t.Fatalf("not written:\n%s", got)
	}
	if st, _ := os.Stat(main); st.Mode().Perm() != 0o600 {
		t.Errorf("permissions changed to %v", st.Mode().Perm())
	}
	out, _, code = runCLI(t, "fix", dir)
	if code != 0 || out != "" {
		t.Errorf("second run: exit %d, output %q", code, out)
	}

	// A value that cannot be traced is reported and exits 1.
	if err := os.WriteFile(main, []byte(strings.Replace(src, `"Enabled"`, `local.access`, 1)+"locals {\n  access = \"Enabled\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCLI(t, "fix", dir); code != 1 || !strings.Contains(errOut, "cannot fix automatically") {
		t.Errorf("unfixable: exit %d: %s", code, errOut)
	}
}

// TestFixConfinedToPaths: fix --write on mod/root does not edit the shared
// module it calls with ../shared unless --allow-outside.
func TestFixConfinedToPaths(t *testing.T) {
	dir := t.TempDir()
	shared := filepath.Join(dir, "shared", "main.tf")
	rootDir := filepath.Join(dir, "root")
	src := `resource "aws_sagemaker_notebook_instance" "nb" {
  name                   = "nb"
  role_arn               = "arn:aws:iam::123456789012:role/nb"
  instance_type          = "ml.t3.medium"
  subnet_id              = "subnet-0123456789abcdef0"
  security_groups        = ["sg-0123456789abcdef0"]
  direct_internet_access = "Enabled"
}
`
	for p, content := range map[string]string{shared: src, filepath.Join(rootDir, "main.tf"): "module \"shared\" {\n  source = \"../shared\"\n}\n"} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Without flags the scan does not read the module outside the path.
	_, errOut, code := runCLI(t, "fix", "--write", rootDir)
	if code != ExitFail || !strings.Contains(errOut, "is outside the scan root") || !strings.Contains(errOut, "--allow-outside lets it edit there") {
		t.Errorf("fix --write root: exit %d, stderr %q", code, errOut)
	}
	// Allowed to read it, fix reports the edit there without making it.
	_, errOut, code = runCLI(t, "fix", "--write", "--allow-read", filepath.Join(dir, "shared"), rootDir)
	if code != ExitFail || !strings.Contains(errOut, "value set in ../shared/main.tf, used by 1 caller: not edited") {
		t.Errorf("fix --write --allow-read shared root: exit %d, stderr %q", code, errOut)
	}
	if got, _ := os.ReadFile(shared); string(got) != src {
		t.Fatalf("the shared module outside the path was edited:\n%s", got)
	}
	if _, errOut, code := runCLI(t, "fix", "--write", "--allow-outside", rootDir); code != 0 || !strings.Contains(errOut, "wrote 1 file") {
		t.Fatalf("--allow-outside: exit %d: %s", code, errOut)
	}
	if got, _ := os.ReadFile(shared); !strings.Contains(string(got), `direct_internet_access = "Disabled"`) {
		t.Errorf("--allow-outside did not edit the shared module:\n%s", got)
	}
}
