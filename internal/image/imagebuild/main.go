// Command imagebuild builds sagefence's container image without a container
// engine (`make image`) from a release binary, writes it as an OCI layout
// and a `docker load` tarball, then runs it once the way an engine would
// (internal/image.Run): `version` must report the binary's commit, and the
// default command (`scan .`) on the mounted examples must report their
// failing findings (exit 1) as JSON.
//
//	go run ./internal/image/imagebuild -binary dist/linux_amd64/sagefence -mount examples -out dist
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/sagefence/sagefence/internal/image"
)

func main() {
	bin := flag.String("binary", "dist/linux_"+runtime.GOARCH+"/sagefence", "static linux sagefence `BINARY` (from make release-snapshot)")
	arch := flag.String("arch", runtime.GOARCH, "the binary's `GOARCH`")
	out := flag.String("out", "dist", "output `DIR`")
	mount := flag.String("mount", "examples", "`DIR` mounted as /src for the smoke run (empty: no run)")
	flag.Parse()
	if err := run(context.Background(), *bin, *arch, *out, *mount); err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, bin, arch, out, mount string) error {
	raw, err := exec.CommandContext(ctx, bin, "version", "--format", "json").Output()
	if err != nil {
		return fmt.Errorf("%s version (build it for this machine with make release-snapshot): %w", bin, err)
	}
	var v struct{ Version, Commit, Date string }
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	created, err := time.Parse(time.RFC3339, v.Date)
	if err != nil {
		return fmt.Errorf("%s reports no build date (%q): build it with make release-snapshot", bin, v.Date)
	}
	img, err := image.Build(image.Options{Binary: bin, Arch: arch, Version: v.Version, Commit: v.Commit, Created: created})
	if err != nil {
		return err
	}
	layoutDir := filepath.Join(out, "image")
	tarPath := filepath.Join(out, fmt.Sprintf("sagefence_%s_image_linux_%s.tar", v.Version, arch))
	if err := os.RemoveAll(layoutDir); err != nil {
		return err
	}
	if err := image.Write(img, "sagefence:"+v.Version, layoutDir, tarPath); err != nil {
		return err
	}
	digest, _ := img.Digest()
	fmt.Fprintf(os.Stderr, "imagebuild: sagefence:%s %s\n  OCI layout %s\n  docker load -i %s\n", v.Version, digest, layoutDir, tarPath)
	if mount == "" {
		return nil
	}
	// The smoke run reads the image back from the layout, as a user would.
	img, err = image.Read(layoutDir)
	if err != nil {
		return err
	}
	var stdout, stderr bytes.Buffer
	root, err := os.MkdirTemp("", "sagefence-image-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	code, chrooted, err := image.Run(ctx, img, image.RunOptions{Root: filepath.Join(root, "version"), Args: []string{"version", "--format", "json"}, Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		return err
	}
	var got struct{ Commit string }
	if code != 0 || json.Unmarshal(stdout.Bytes(), &got) != nil || got.Commit != v.Commit {
		return fmt.Errorf("the image's version: exit %d, %s%s", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	code, _, err = image.Run(ctx, img, image.RunOptions{Root: filepath.Join(root, "scan"), Mount: mount, Args: []string{"scan", ".", "--format", "json"}, Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		return err
	}
	var res struct {
		Summary struct{ Fail, Pass int }
		Errors  []any
	}
	if code != 1 || json.Unmarshal(stdout.Bytes(), &res) != nil || res.Summary.Fail == 0 || len(res.Errors) != 0 {
		return fmt.Errorf("scan of the mounted %s in the image: exit %d (want 1), %d fails, errors %v\n%s", mount, code, res.Summary.Fail, res.Errors, stderr.String())
	}
	how := "chrooted into the unpacked image as 65532:65532"
	if !chrooted {
		how = "from the unpacked image, as the calling user (not root: no chroot)"
	}
	fmt.Fprintf(os.Stderr, "imagebuild: ran %s: version shows commit %s; scan of %s mounted on /src: exit 1, %d fail, %d pass\n",
		how, got.Commit, mount, res.Summary.Fail, res.Summary.Pass)
	return nil
}
