package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDownloadModulesFlag: --download-modules turns a remote module call into
// a download (here refused: plain http), whose failure is the gap's reason;
// without the flag the gap says the module is not on disk and names the flag.
func TestDownloadModulesFlag(t *testing.T) {
	dir := t.TempDir()
	src := `module "nb" {
  source = "git::http://127.0.0.1:9/modules.git?ref=v1"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	for _, tt := range []struct {
		args               []string
		reason, hint, flag string
	}{
		{nil, "is not on disk", "terraform init", "--download-modules"},
		{[]string{"--download-modules", "--module-cache", cache}, "could not be downloaded", "terraform init", "https only"},
	} {
		_, res, stderr := scanJSON(t, cliRun{}, append([]string{dir}, tt.args...)...)
		if tt.args != nil && (!strings.Contains(stderr, "modules: 0 downloaded, 0 from the cache in ") || !strings.Contains(stderr, ", 1 failed")) {
			t.Errorf("stderr does not count the failed module: %s", stderr)
		}
		if len(res.Gaps) != 1 {
			t.Fatalf("%v: gaps %+v (stderr %s)", tt.args, res.Gaps, stderr)
		}
		g := res.Gaps[0]
		if g.Address != "module.nb" || !strings.Contains(g.Reason, tt.reason) || !strings.Contains(g.Hint, tt.hint) ||
			!strings.Contains(g.Reason+" "+g.Hint, tt.flag) {
			t.Errorf("%v: gap %+v, want reason with %q and %q, hint with %q", tt.args, g, tt.reason, tt.flag, tt.hint)
		}
	}

	code, _, stderr := run(t, "", "scan", dir, "--module-cache", cache)
	if code != 2 || !strings.Contains(stderr, "--module-cache needs --download-modules") {
		t.Errorf("--module-cache alone: exit %d, %s", code, stderr)
	}
	code, _, stderr = run(t, "", "scan", dir, "--download-modules", "--module-cache", filepath.Join(dir, "cache"))
	if code != 2 || !strings.Contains(stderr, "is inside the scanned path") {
		t.Errorf("cache inside the scan root: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "cache")); !os.IsNotExist(err) {
		t.Errorf("the refused cache directory was created: %v", err)
	}
}
