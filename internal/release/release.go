// Package release builds sagefence's release artefacts with the Go
// toolchain alone, offline: what .goreleaser.yaml describes for goreleaser,
// for machines (and CI) where goreleaser cannot be installed.
//
// Contract:
//   - one static binary per target (CGO_ENABLED=0, -trimpath, -ldflags
//     "-s -w" plus the version, commit and date of internal/cli), packed
//     with LICENSE, README.md and CHANGELOG.md into an archive named as
//     goreleaser names it: sagefence_<version>_<os>_<arch>.tar.gz (.zip for
//     windows), so the Action and users download the same names from either;
//   - archives are reproducible: entries sorted, owner root, modification
//     time the build date;
//   - a CycloneDX 1.5 SBOM per archive (<archive>.cdx.json), made from the
//     module list embedded in its binary (what `go version -m` prints);
//   - for every linux target, the AWS Config custom rule's Lambda deployment
//     package (cmd/sagefence-config-rule built as `bootstrap` with the
//     lambda.norpc tag for the provided.al2023 runtime):
//     sagefence-config-rule_<version>_linux_<arch>.zip holding bootstrap alone;
//   - checksums.txt: "<sha256>  <name>" lines for every archive, SBOM and
//     Lambda package, the format `sha256sum -c` reads.
package release

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// Module is the main module's path, used for -X flags and the SBOM.
const Module = "github.com/sagefence/sagefence"

// Target is one GOOS/GOARCH pair.
type Target struct {
	OS, Arch string
}

func (t Target) String() string { return t.OS + "/" + t.Arch }

// Targets are the release platforms (.goreleaser.yaml lists the same).
var Targets = []Target{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// ParseTargets reads "linux/amd64,darwin/arm64"; "" or "all" is Targets.
func ParseTargets(s string) ([]Target, error) {
	if s == "" || s == "all" {
		return Targets, nil
	}
	var out []Target
	for _, part := range strings.Split(s, ",") {
		os, arch, ok := strings.Cut(strings.TrimSpace(part), "/")
		if !ok || os == "" || arch == "" {
			return nil, fmt.Errorf("target %q: want GOOS/GOARCH", part)
		}
		out = append(out, Target{os, arch})
	}
	return out, nil
}

// Options configure a build.
type Options struct {
	// ModuleDir is the module root (where go.mod is).
	ModuleDir string
	// Out is the output directory (dist); it is created, and must be empty
	// or absent.
	Out string
	// Version, Commit and Date are stamped into the binaries.
	Version, Commit string
	Date            time.Time
	Targets         []Target
	// Go is the go command (default "go").
	Go string
	// Log receives one line per step; nil discards.
	Log io.Writer
}

// Artifact is what was built for one target.
type Artifact struct {
	Target  Target
	Binary  string // path of the binary (in Out/<os>_<arch>/)
	Archive string // path of the archive
	SBOM    string // path of the archive's SBOM
}

// LambdaArtifact is the Config rule's Lambda package built for one linux target.
type LambdaArtifact struct {
	Target  Target
	Binary  string // path of bootstrap (in Out/lambda_linux_<arch>/)
	Archive string // path of the deployment zip
}

// Result lists a build's artefacts.
type Result struct {
	Artifacts []Artifact
	Lambdas   []LambdaArtifact
	Checksums string // path of checksums.txt
}

// LambdaArchiveName names the Config rule's deployment package for a linux
// target (.goreleaser.yaml names it the same).
func LambdaArchiveName(version string, t Target) string {
	return fmt.Sprintf("sagefence-config-rule_%s_%s_%s.zip", version, t.OS, t.Arch)
}

// LambdaTags are the build tags of the Lambda binary: lambda.norpc drops the
// Go-runtime RPC server that provided.al2023 does not use.
const LambdaTags = "lambda.norpc"

// ChecksumsName is the checksums file's name.
const ChecksumsName = "checksums.txt"

// ArchiveName is goreleaser's default archive name for a target.
func ArchiveName(version string, t Target) string {
	ext := ".tar.gz"
	if t.OS == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("sagefence_%s_%s_%s%s", version, t.OS, t.Arch, ext)
}

// LDFlags are the linker flags of a release binary.
func LDFlags(version, commit string, date time.Time) string {
	pkg := Module + "/internal/cli"
	return fmt.Sprintf("-s -w -X %s.Version=%s -X %s.Commit=%s -X %s.Date=%s",
		pkg, version, pkg, commit, pkg, date.UTC().Format(time.RFC3339))
}

// extraFiles go into every archive beside the binary.
var extraFiles = []string{"LICENSE", "README.md", "CHANGELOG.md"}

// Build compiles every target and writes the archives, SBOMs and checksums.
func Build(ctx context.Context, o Options) (*Result, error) {
	if o.Go == "" {
		o.Go = "go"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Version == "" || o.Commit == "" || o.Date.IsZero() {
		return nil, errors.New("release: version, commit and date are required")
	}
	if entries, err := os.ReadDir(o.Out); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("release: %s is not empty (remove it first)", o.Out)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	res := &Result{}
	var sums []string
	for _, t := range o.Targets {
		start := time.Now()
		a, err := buildTarget(ctx, o, t)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(o.Log, "release: %s built and packed in %s\n", t, time.Since(start).Round(time.Second))
		res.Artifacts = append(res.Artifacts, a)
		sums = append(sums, a.Archive, a.SBOM)
		if t.OS != "linux" {
			continue
		}
		start = time.Now()
		l, err := buildLambda(ctx, o, t)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(o.Log, "release: %s Config rule Lambda built and packed in %s\n", t, time.Since(start).Round(time.Second))
		res.Lambdas = append(res.Lambdas, l)
		sums = append(sums, l.Archive)
	}
	res.Checksums = filepath.Join(o.Out, ChecksumsName)
	if err := WriteChecksums(res.Checksums, sums); err != nil {
		return nil, err
	}
	return res, nil
}

func buildTarget(ctx context.Context, o Options, t Target) (Artifact, error) {
	name := "sagefence"
	if t.OS == "windows" {
		name += ".exe"
	}
	binDir := filepath.Join(o.Out, t.OS+"_"+t.Arch)
	bin, err := filepath.Abs(filepath.Join(binDir, name))
	if err != nil {
		return Artifact{}, err
	}
	if err := goBuild(ctx, o, t, bin, "./cmd/sagefence"); err != nil {
		return Artifact{}, err
	}
	files := []archiveFile{{name: name, path: bin, mode: 0o755}}
	for _, f := range extraFiles {
		files = append(files, archiveFile{name: f, path: filepath.Join(o.ModuleDir, f), mode: 0o644})
	}
	archive := filepath.Join(o.Out, ArchiveName(o.Version, t))
	write := writeTarGz
	if t.OS == "windows" {
		write = writeZip
	}
	if err := write(archive, files, o.Date); err != nil {
		return Artifact{}, fmt.Errorf("release: %s: %w", archive, err)
	}
	sbom := archive + ".cdx.json"
	if err := WriteSBOM(sbom, bin, o.Version, t, o.Date); err != nil {
		return Artifact{}, err
	}
	return Artifact{Target: t, Binary: bin, Archive: archive, SBOM: sbom}, nil
}

// buildLambda builds cmd/sagefence-config-rule as bootstrap for a linux
// target and packs it alone into its deployment zip.
func buildLambda(ctx context.Context, o Options, t Target) (LambdaArtifact, error) {
	bin, err := filepath.Abs(filepath.Join(o.Out, "lambda_"+t.OS+"_"+t.Arch, "bootstrap"))
	if err != nil {
		return LambdaArtifact{}, err
	}
	if err := goBuild(ctx, o, t, bin, "./cmd/sagefence-config-rule", "-tags", LambdaTags); err != nil {
		return LambdaArtifact{}, err
	}
	archive := filepath.Join(o.Out, LambdaArchiveName(o.Version, t))
	if err := writeZip(archive, []archiveFile{{name: "bootstrap", path: bin, mode: 0o755}}, o.Date); err != nil {
		return LambdaArtifact{}, fmt.Errorf("release: %s: %w", archive, err)
	}
	return LambdaArtifact{Target: t, Binary: bin, Archive: archive}, nil
}

// goBuild runs one static, -trimpath release build of pkg for t into bin.
func goBuild(ctx context.Context, o Options, t Target, bin, pkg string, extra ...string) error {
	args := append([]string{"build", "-trimpath", "-ldflags", LDFlags(o.Version, o.Commit, o.Date)}, extra...)
	cmd := exec.CommandContext(ctx, o.Go, append(args, "-o", bin, pkg)...)
	cmd.Dir = o.ModuleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+t.OS, "GOARCH="+t.Arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("release: go build %s for %s: %w\n%s", pkg, t, err, out)
	}
	return nil
}

type archiveFile struct {
	name string
	path string
	mode int64
}

func writeTarGz(path string, files []archiveFile, mtime time.Time) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	gz := gzip.NewWriter(out)
	gz.ModTime = mtime
	tw := tar.NewWriter(gz)
	for _, f := range sortedFiles(files) {
		data, err := os.ReadFile(f.path)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(data)), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	return out.Close()
}

func writeZip(path string, files []archiveFile, mtime time.Time) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, f := range sortedFiles(files) {
		data, err := os.ReadFile(f.path)
		if err != nil {
			return err
		}
		hdr := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: mtime}
		hdr.SetMode(os.FileMode(f.mode))
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return out.Close()
}

func sortedFiles(files []archiveFile) []archiveFile {
	out := append([]archiveFile(nil), files...)
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// WriteSBOM writes a CycloneDX 1.5 JSON SBOM of a Go binary from the build
// information embedded in it: the main module as the described component,
// every dependency module (replacements resolved) as a library with its
// pkg:golang purl, and the Go toolchain and build settings as properties.
func WriteSBOM(path, binary, version string, t Target, date time.Time) error {
	bi, err := buildinfo.ReadFile(binary)
	if err != nil {
		return fmt.Errorf("release: reading the build information of %s: %w", binary, err)
	}
	mainRef := purl(bi.Main.Path, "v"+strings.TrimPrefix(version, "v"))
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + uuidFrom(binary, bi.String())
	main := cdx.Component{
		BOMRef: mainRef, Type: cdx.ComponentTypeApplication, Name: "sagefence", Version: version,
		PackageURL: mainRef, Description: "sagefence for " + t.String(),
		Licenses: &cdx.Licenses{{License: &cdx.License{ID: "Apache-2.0"}}},
	}
	props := []cdx.Property{{Name: "go:version", Value: bi.GoVersion}, {Name: "target", Value: t.String()}}
	for _, s := range bi.Settings {
		props = append(props, cdx.Property{Name: "go:build:" + s.Key, Value: s.Value})
	}
	bom.Metadata = &cdx.Metadata{
		Timestamp:  date.UTC().Format(time.RFC3339),
		Component:  &main,
		Properties: &props,
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: "sagefence internal/release", Version: version,
		}}},
	}
	var comps []cdx.Component
	var refs []string
	for _, d := range bi.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		ref := purl(m.Path, m.Version)
		c := cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: m.Path, Version: m.Version, PackageURL: ref}
		if m.Sum != "" {
			c.Properties = &[]cdx.Property{{Name: "go:module:sum", Value: m.Sum}}
		}
		comps = append(comps, c)
		refs = append(refs, ref)
	}
	bom.Components = &comps
	// The binary records which modules it contains, not which needs which:
	// the main module depends on them all.
	bom.Dependencies = &[]cdx.Dependency{{Ref: mainRef, Dependencies: &refs}}
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_5); err != nil {
		return fmt.Errorf("release: encoding the SBOM: %w", err)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// purl is a Go module's package URL (pkg:golang/path@version).
func purl(path, version string) string {
	p := "pkg:golang/" + path
	if version != "" {
		p += "@" + version
	}
	return p
}

// uuidFrom derives a stable version-4-shaped UUID from the inputs, so the
// same binary always gets the same serial number.
func uuidFrom(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// WriteChecksums writes "<sha256>  <base name>" for each file, sorted by
// name.
func WriteChecksums(path string, files []string) error {
	sorted := append([]string(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return filepath.Base(sorted[i]) < filepath.Base(sorted[j]) })
	var b strings.Builder
	for _, f := range sorted {
		sum, err := fileSHA256(f)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, filepath.Base(f))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// VerifyChecksums checks every line of a checksums file against the files
// beside it; it returns how many were checked.
func VerifyChecksums(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			return n, fmt.Errorf("%s: malformed line %q", path, sc.Text())
		}
		got, err := fileSHA256(filepath.Join(filepath.Dir(path), name))
		if err != nil {
			return n, err
		}
		if got != sum {
			return n, fmt.Errorf("%s: checksum mismatch (%s, want %s)", name, got, sum)
		}
		n++
	}
	return n, sc.Err()
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
