package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVarAndVarFileKeepCommandLineOrder: --var and --var-file are one
// list, as in Terraform: whichever comes later on the command line wins,
// and fix acts on the same inputs as scan.
func TestVarAndVarFileKeepCommandLineOrder(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.tf", `variable "access" {
  type    = string
  default = "Enabled"
}

resource "aws_sagemaker_notebook_instance" "nb" {
  name                   = "nb"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  instance_type          = "ml.t3.medium"
  subnet_id              = "subnet-0123456789abcdef0"
  security_groups        = ["sg-0123456789abcdef0"]
  direct_internet_access = var.access
}
`)
	write("prod.tfvars", "access = \"Enabled\"\n")
	varFile := filepath.Join(dir, "prod.tfvars")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantFrom string
	}{
		{"var after var-file wins", []string{"--var-file", varFile, "--var", "access=Disabled"}, ExitOK, "--var access"},
		{"var-file after var wins", []string{"--var", "access=Disabled", "--var-file", varFile}, ExitFail, "prod.tfvars:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"scan", "--format", "json", "--control", "CKV_AWS_122", dir}, tc.args...)
			code, out, errOut := runWith(t, cliRun{}, args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.wantCode, out, errOut)
			}
			if !strings.Contains(out, tc.wantFrom) {
				t.Errorf("the finding does not cite %q:\n%s", tc.wantFrom, out)
			}
		})
	}
	t.Run("fix edits the var-file the scan cites", func(t *testing.T) {
		code, _, errOut := runWith(t, cliRun{}, "fix", "--write", dir, "--var", "access=Disabled", "--var-file", varFile)
		if code != ExitOK {
			t.Fatalf("fix exit %d\n%s", code, errOut)
		}
		got, err := os.ReadFile(varFile)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != "access = \"Disabled\"\n" {
			t.Errorf("prod.tfvars after fix:\n%s\n%s", got, errOut)
		}
		main, _ := os.ReadFile(filepath.Join(dir, "main.tf"))
		if !strings.Contains(string(main), `default = "Enabled"`) {
			t.Errorf("fix changed the variable default instead of the file the scan cites:\n%s", main)
		}
	})
}
