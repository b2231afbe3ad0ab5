// Package image builds sagefence's container image without a container
// engine, with go-containerregistry, and runs it without one.
//
// Contract:
//   - the image is FROM scratch: one layer holding the static binary as
//     /sagefence, the CA certificates as /etc/ssl/certs/ca-certificates.crt,
//     /etc/passwd and /etc/group naming the non-root user nonroot
//     (65532:65532), its home /home/nonroot, /src (the working directory
//     users mount their code on) and /tmp (1777);
//   - the configuration runs as 65532:65532 with Entrypoint ["/sagefence"],
//     Cmd ["scan", "."], WorkingDir /src, SSL_CERT_FILE and HOME set, and the
//     org.opencontainers.image.* labels (version, revision, created,
//     source, licenses);
//   - every timestamp is the build date, so the same inputs give the same
//     image digest;
//   - Write stores it as an OCI image layout directory and as a tarball
//     `docker load` / `podman load` read.
//
// Run unpacks the image's layers into a directory and runs its Entrypoint
// and Cmd there as its User, with a host directory copied in as the working
// directory: what an engine does with `-v DIR:/src`, minus namespaces.
// As root it chroots into the unpacked tree, so the binary can use nothing
// but what the image holds (proving it static and self-contained); otherwise
// it runs the unpacked binary directly and says so.
package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The non-root user the image runs as (distroless's nonroot).
const (
	UID      = 65532
	User     = "65532:65532"
	WorkDir  = "/src"
	CAFile   = "/etc/ssl/certs/ca-certificates.crt"
	HostCA   = "/etc/ssl/certs/ca-certificates.crt"
	Binary   = "/sagefence"
	homeDir  = "/home/nonroot"
	userName = "nonroot"
)

// Options describe one image.
type Options struct {
	// Binary is a static linux sagefence binary for Arch.
	Binary string
	// Arch is the GOARCH of the binary (amd64, arm64).
	Arch string
	// CACerts is the CA bundle to copy (default HostCA).
	CACerts string
	// Version, Commit and Created label the image.
	Version, Commit string
	Created         time.Time
}

// Build assembles the image.
func Build(o Options) (v1.Image, error) {
	if o.CACerts == "" {
		o.CACerts = HostCA
	}
	bin, err := os.ReadFile(o.Binary)
	if err != nil {
		return nil, fmt.Errorf("image: the binary: %w", err)
	}
	ca, err := os.ReadFile(o.CACerts)
	if err != nil {
		return nil, fmt.Errorf("image: CA certificates (install the ca-certificates package or pass another bundle): %w", err)
	}
	if !bytes.Contains(ca, []byte("BEGIN CERTIFICATE")) {
		return nil, fmt.Errorf("image: %s holds no PEM certificate", o.CACerts)
	}
	layerTar, err := rootFS(bin, ca, o.Created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("image: layer: %w", err)
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: o.Created},
			CreatedBy: "sagefence internal/image: binary, CA certificates, non-root user",
		},
	})
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture = o.Arch
	cf.OS = "linux"
	cf.Created = v1.Time{Time: o.Created}
	cf.Config = v1.Config{
		Entrypoint: []string{Binary},
		Cmd:        []string{"scan", "."},
		WorkingDir: WorkDir,
		User:       User,
		Env: []string{
			"PATH=/",
			"SSL_CERT_FILE=" + CAFile,
			"HOME=" + homeDir,
		},
		Labels: map[string]string{
			"org.opencontainers.image.title":       "sagefence",
			"org.opencontainers.image.description": "Keep SageMaker notebooks and Studio domains off the public internet",
			"org.opencontainers.image.version":     o.Version,
			"org.opencontainers.image.revision":    o.Commit,
			"org.opencontainers.image.created":     o.Created.UTC().Format(time.RFC3339),
			"org.opencontainers.image.source":      "https://github.com/sagefence/sagefence",
			"org.opencontainers.image.licenses":    "Apache-2.0",
		},
	}
	return mutate.ConfigFile(img, cf)
}

// rootFS is the layer's tar: directories first, then files, all owned by
// root except the user's home, each stamped with the build date.
func rootFS(bin, ca []byte, mtime time.Time) ([]byte, error) {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:%s:/sbin/nologin\n", userName, UID, UID, userName, homeDir)
	group := fmt.Sprintf("root:x:0:\n%s:x:%d:\n", userName, UID)
	type entry struct {
		name string
		mode int64
		uid  int
		data []byte
		dir  bool
	}
	entries := []entry{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: "home/", mode: 0o755, dir: true},
		{name: strings.TrimPrefix(homeDir, "/") + "/", mode: 0o700, uid: UID, dir: true},
		{name: strings.TrimPrefix(WorkDir, "/") + "/", mode: 0o755, uid: UID, dir: true},
		{name: "tmp/", mode: 0o1777, dir: true},
		{name: strings.TrimPrefix(Binary, "/"), mode: 0o755, data: bin},
		{name: strings.TrimPrefix(CAFile, "/"), mode: 0o644, data: ca},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.uid, ModTime: mtime, Format: tar.FormatPAX}
		if e.dir {
			hdr.Typeflag = tar.TypeDir
		} else {
			hdr.Typeflag = tar.TypeReg
			hdr.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if !e.dir {
			if _, err := tw.Write(e.data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Unpack writes the image's flattened file system into dir (which must
// exist), refusing entries that would land outside it.
func Unpack(img v1.Image, dir string) error {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("image: reading layers: %w", err)
		}
		target := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		if rel, err := filepath.Rel(dir, target); err != nil || strings.HasPrefix(rel, "..") {
			return fmt.Errorf("image: entry %q leaves the root", hdr.Name)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, os.FileMode(hdr.Mode).Perm()); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(hdr.Mode).Perm())
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("image: unexpected entry %q (type %c)", hdr.Name, hdr.Typeflag)
		}
		// Modes with sticky bits and owners as recorded (owners only when
		// allowed: as root).
		if err := os.Chmod(target, tarMode(hdr.Mode)); err != nil {
			return err
		}
		if os.Geteuid() == 0 {
			if err := os.Lchown(target, hdr.Uid, hdr.Gid); err != nil {
				return err
			}
		}
	}
}

func tarMode(m int64) os.FileMode {
	mode := os.FileMode(m).Perm()
	if m&0o1000 != 0 {
		mode |= os.ModeSticky
	}
	return mode
}
