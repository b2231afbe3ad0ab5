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
