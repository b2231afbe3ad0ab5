// Package testutil holds helpers shared by tests: external tools (terraform,
// moto_server, cfn-lint, PostgreSQL, Chromium) that must run in CI and are
// skipped with a clear message elsewhere, and free loopback ports.
package testutil

import (
	"net"
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true), where every external
// tool a test needs must be present.
func InCI() bool { return os.Getenv("CI") == "true" }

// RequireTool returns the path of an executable. When it is missing the test
// fails in CI and is skipped elsewhere, naming the tool.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	Missing(t, name+" is not on PATH")
	return ""
}

// Missing fails the test in CI and skips it elsewhere with the reason.
func Missing(t testing.TB, reason string) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true but %s: this test must run in CI", reason)
	}
	t.Skipf("skipped: %s (set CI=true to make this a failure)", reason)
}

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TerraformPluginDir returns the offline provider mirror for `terraform init
// -plugin-dir`: $SAGEFENCE_TF_PLUGIN_DIR, else /opt/tf-plugins when it holds
// hashicorp/aws. Missing in CI is a failure.
func TerraformPluginDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("SAGEFENCE_TF_PLUGIN_DIR"); d != "" {
		return d
	}
	const def = "/opt/tf-plugins"
	if _, err := os.Stat(def + "/registry.terraform.io/hashicorp/aws"); err == nil {
		return def
	}
	Missing(t, "no offline hashicorp/aws provider mirror (set SAGEFENCE_TF_PLUGIN_DIR)")
	return ""
}
