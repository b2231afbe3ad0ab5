package image

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Write stores the image as an OCI image layout in layoutDir (created;
// annotated with the reference) and, when tarPath is not empty, as a
// tarball `docker load` reads, tagged ref (e.g. sagefence:1.2.0).
func Write(img v1.Image, ref, layoutDir, tarPath string) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("image: reference %q: %w", ref, err)
	}
	p, err := layout.Write(layoutDir, empty.Index)
	if err != nil {
		return fmt.Errorf("image: OCI layout %s: %w", layoutDir, err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": tag.TagStr(),
	})); err != nil {
		return fmt.Errorf("image: OCI layout %s: %w", layoutDir, err)
	}
	if tarPath != "" {
		if err := tarball.WriteToFile(tarPath, tag, img); err != nil {
			return fmt.Errorf("image: tarball %s: %w", tarPath, err)
		}
	}
	return nil
}

// Read loads the single image of an OCI layout directory.
func Read(layoutDir string) (v1.Image, error) {
	idx, err := layout.ImageIndexFromPath(layoutDir)
	if err != nil {
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(m.Manifests) != 1 {
		return nil, fmt.Errorf("image: %s holds %d manifests, want 1", layoutDir, len(m.Manifests))
	}
	return idx.Image(m.Manifests[0].Digest)
}

// RunOptions configure Run.
type RunOptions struct {
	// Root is an empty directory the image is unpacked into.
	Root string
	// Mount is a host directory copied to the image's WorkingDir (as
	// `-v Mount:/src` would mount it); "" mounts nothing.
	Mount string
	// Args replace the image's Cmd when not nil.
	Args []string
	// Stdout and Stderr receive the program's output.
	Stdout, Stderr io.Writer
}

// Run unpacks img into o.Root and runs its Entrypoint + Cmd (or o.Args)
// with its Env in its WorkingDir. As root it chroots into o.Root and runs as
// the image's User; otherwise it runs the unpacked binary with the working
// directory under o.Root, as the calling user, and reports chrooted false.
// It returns the program's exit code.
func Run(ctx context.Context, img v1.Image, o RunOptions) (code int, chrooted bool, err error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return 0, false, err
	}
	if err := Unpack(img, o.Root); err != nil {
		return 0, false, err
	}
	cfg := cf.Config
	work := filepath.Join(o.Root, filepath.FromSlash(cfg.WorkingDir))
	if o.Mount != "" {
		if err := os.CopyFS(work, os.DirFS(o.Mount)); err != nil {
			return 0, false, fmt.Errorf("image: mounting %s on %s: %w", o.Mount, cfg.WorkingDir, err)
		}
	}
	args := cfg.Cmd
	if o.Args != nil {
		args = o.Args
	}
	if len(cfg.Entrypoint) == 0 {
		return 0, false, fmt.Errorf("image: no Entrypoint")
	}
	argv := append(append([]string(nil), cfg.Entrypoint...), args...)
	chrooted = os.Geteuid() == 0
	var cmd *exec.Cmd
	if chrooted {
		uid, gid, err := parseUser(cfg.User)
		if err != nil {
			return 0, false, err
		}
		if err := chownTree(work, uid, gid); err != nil {
			return 0, false, err
		}
		// The path is resolved inside the new root.
		cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Path = argv[0]
		cmd.Dir = cfg.WorkingDir
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Chroot:     o.Root,
			Credential: &syscall.Credential{Uid: uid, Gid: gid},
		}
	} else {
		cmd = exec.CommandContext(ctx, filepath.Join(o.Root, filepath.FromSlash(argv[0])), argv[1:]...)
		cmd.Dir = work
	}
	cmd.Env = cfg.Env
	cmd.Stdout, cmd.Stderr = o.Stdout, o.Stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), chrooted, nil
	}
	return 0, chrooted, err
}

// parseUser reads a numeric "UID:GID" (the image's User).
func parseUser(u string) (uint32, uint32, error) {
	var uid, gid uint32
	if _, err := fmt.Sscanf(strings.TrimSpace(u), "%d:%d", &uid, &gid); err != nil {
		return 0, 0, fmt.Errorf("image: User %q: want numeric UID:GID", u)
	}
	return uid, gid, nil
}

// chownTree gives the mounted copy to the image's user, as a bind mount of
// the user's own files would be readable and writable to it.
func chownTree(dir string, uid, gid uint32) error {
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(uid), int(gid))
	})
}
