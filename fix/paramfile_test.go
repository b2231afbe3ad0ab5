package fix

import (
	"os"
	"path/filepath"
	"testing"
)

// TestEditParameterFile: each parameter-file shape the scan reads is edited
// in place, at the value only, keeping the rest of the file.
func TestEditParameterFile(t *testing.T) {
	tests := []struct {
		name, body string
		line       int
		want       string
	}{
		{"key=value", "# env\nAccess = \"Enabled\"  \nSubnet=s\n", 2, "# env\nAccess = \"Disabled\"  \nSubnet=s\n"},
		{"bare key=value", "Access=Enabled\n", 1, "Access=Disabled\n"},
		{"create-stack list", "[\n  {\"ParameterKey\": \"Access\", \"ParameterValue\": \"Enabled\"}\n]\n", 2,
			"[\n  {\"ParameterKey\": \"Access\", \"ParameterValue\": \"Disabled\"}\n]\n"},
		{"list of Key=Value", "[\"Subnet=s\", \"Access=Enabled\"]", 1, "[\"Subnet=s\", \"Access=Disabled\"]"},
		{"CodePipeline object", "{\n  \"Parameters\": {\"Access\": \"Enabled\"},\n  \"Tags\": {}\n}\n", 2,
			"{\n  \"Parameters\": {\"Access\": \"Disabled\"},\n  \"Tags\": {}\n}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "params")
			if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			res := &Result{}
			w := newWorkspace(res)
			cur, reason := w.editParameterFile(path, "Access", tc.line, "Disabled")
			if reason != "" || cur != "Enabled" {
				t.Fatalf("cur %q reason %q", cur, reason)
			}
			if again, _ := w.editParameterFile(path, "Access", tc.line, "Disabled"); again != "" {
				t.Errorf("the same place was edited twice")
			}
			w.finish()
			if len(res.Files) != 1 || string(res.Files[0].New) != tc.want {
				t.Fatalf("files %+v, want\n%s", res.Files, tc.want)
			}
		})
	}
	t.Run("wrong line is not guessed at", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "params")
		if err := os.WriteFile(path, []byte("Access=Enabled\nOther=x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, reason := newWorkspace(&Result{}).editParameterFile(path, "Access", 2, "Disabled"); reason == "" {
			t.Error("edited a line that does not set the parameter")
		}
	})
}
