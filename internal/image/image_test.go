package image

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// probe is a static program standing in for sagefence: it prints what the
// image gives it (user, working directory, environment, the mounted file,
// the CA bundle) so the test can check the image's contract without
// building the whole CLI.
const probe = `package main

import (
	"fmt"
	"os"
)

func main() {
	wd, _ := os.Getwd()
	mounted, err := os.ReadFile("main.tf")
	ca, caErr := os.ReadFile(os.Getenv("SSL_CERT_FILE"))
	fmt.Printf("uid=%d gid=%d wd=%s args=%v home=%s mounted=%q err=%v ca=%d caErr=%v\n",
		os.Getuid(), os.Getgid(), wd, os.Args[1:], os.Getenv("HOME"), mounted, err, len(ca), caErr)
	os.Exit(3)
}
`

func buildProbe(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"go.mod": "module probe\n\ngo 1.21\n", "main.go": probe} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "probe")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the probe: %v\n%s", err, out)
	}
	return bin
}

func TestImageContractAndRun(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the image runs linux binaries; this test runs them")
	}
	if _, err := os.Stat(HostCA); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CA bundle %s missing (install ca-certificates): %v", HostCA, err)
		}
		t.Skipf("CA bundle %s missing (install ca-certificates)", HostCA)
	}
	bin := buildProbe(t)
	created := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	opts := Options{Binary: bin, Arch: runtime.GOARCH, Version: "1.2.3", Commit: "0123abc", Created: created}
	img, err := Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	// Reproducible: the same inputs give the same digest.
	again, err := Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("two builds differ: %s %s", d1, d2)
	}
	out := t.TempDir()
	layoutDir, tarPath := filepath.Join(out, "oci"), filepath.Join(out, "image.tar")
	if err := Write(img, "sagefence:1.2.3", layoutDir, tarPath); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(layoutDir, "oci-layout"), filepath.Join(layoutDir, "index.json"), tarPath} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	read, err := Read(layoutDir)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := read.Digest(); d != d1 {
		t.Errorf("read back %s, wrote %s", d, d1)
	}
	cf, err := read.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" || strings.Join(c.Entrypoint, " ") != "/sagefence" || c.WorkingDir != "/src" ||
		cf.OS != "linux" || cf.Architecture != runtime.GOARCH || c.Labels["org.opencontainers.image.revision"] != "0123abc" {
		t.Errorf("config: %+v os %s arch %s", c, cf.OS, cf.Architecture)
	}
	layers, _ := read.Layers()
	if len(layers) != 1 {
		t.Errorf("%d layers, want 1 (FROM scratch + one layer)", len(layers))
	}

	mount := t.TempDir()
	if err := os.WriteFile(filepath.Join(mount, "main.tf"), []byte("resource {}"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code, chrooted, err := Run(context.Background(), read, RunOptions{Root: t.TempDir(), Mount: mount, Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	got := stdout.String()
	if code != 3 || !strings.Contains(got, `args=[scan .]`) || !strings.Contains(got, `mounted="resource {}"`) ||
		!strings.Contains(got, "home=/home/nonroot") || !strings.Contains(got, "caErr=<nil>") {
		t.Errorf("exit %d, output %q", code, got)
	}
	if chrooted {
		if !strings.Contains(got, "uid=65532 gid=65532 wd=/src ") {
			t.Errorf("as root the program must run chrooted as 65532 in /src: %q", got)
		}
	} else {
		t.Logf("not root: ran the unpacked binary without chroot: %s", got)
	}
}
