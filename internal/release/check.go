package release

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SnapshotVersion is goreleaser's snapshot version: the last tag with its
// patch number incremented (0.0.0 without a tag), then -SNAPSHOT- and the
// short commit: "1.2.4-SNAPSHOT-0123abc".
func SnapshotVersion(lastTag, commit string) string {
	v := strings.TrimPrefix(lastTag, "v")
	parts := strings.SplitN(v, ".", 3)
	major, minor, patch := 0, 0, 0
	if len(parts) == 3 {
		var errs []error
		var err error
		major, err = strconv.Atoi(parts[0])
		errs = append(errs, err)
		minor, err = strconv.Atoi(parts[1])
		errs = append(errs, err)
		patch, err = strconv.Atoi(strings.FieldsFunc(parts[2], func(r rune) bool { return r == '-' || r == '+' })[0])
		errs = append(errs, err)
		if errors.Join(errs...) != nil {
			major, minor, patch = 0, 0, 0
		}
	}
	short := commit
	if len(short) > 7 {
		short = short[:7]
	}
	return fmt.Sprintf("%d.%d.%d-SNAPSHOT-%s", major, minor, patch+1, short)
}

// Check verifies a build's artefacts: the checksums match; each archive
// holds the binary (byte for byte the one built), LICENSE, README.md and
// CHANGELOG.md; each binary is a static (CGO_ENABLED=0), -trimpath build
// for its target stamped with version and commit; each SBOM is CycloneDX
// 1.5 describing this version with at least one dependency.
func Check(res *Result, version, commit string) error {
	n, err := VerifyChecksums(res.Checksums)
	if err != nil {
		return err
	}
	if want := 2*len(res.Artifacts) + len(res.Lambdas); n != want {
		return fmt.Errorf("%s lists %d files, want %d", res.Checksums, n, want)
	}
	linux := 0
	for _, a := range res.Artifacts {
		if a.Target.OS == "linux" {
			linux++
		}
	}
	if linux != len(res.Lambdas) {
		return fmt.Errorf("%d linux targets but %d Config rule Lambda packages", linux, len(res.Lambdas))
	}
	for _, l := range res.Lambdas {
		if err := checkLambda(l); err != nil {
			return err
		}
	}
	for _, a := range res.Artifacts {
		if err := checkBinary(a, version, commit); err != nil {
			return err
		}
		if err := checkArchive(a); err != nil {
			return err
		}
		if err := checkSBOM(a.SBOM, version); err != nil {
			return err
		}
	}
	return nil
}

// checkBuildSettings checks that the executable at path is a static,
// -trimpath build for t with the given extra build settings.
func checkBuildSettings(path string, t Target, extra map[string]string) error {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	want := map[string]string{"GOOS": t.OS, "GOARCH": t.Arch, "CGO_ENABLED": "0", "-trimpath": "true"}
	for k, v := range extra {
		want[k] = v
	}
	for k, v := range want {
		if settings[k] != v {
			return fmt.Errorf("%s: build setting %s = %q, want %q", path, k, settings[k], v)
		}
	}
	return nil
}

// checkLambda verifies a Config rule package: bootstrap is a static,
// stripped linux build with the lambda.norpc tag, and the zip holds it alone,
// executable, byte for byte.
func checkLambda(l LambdaArtifact) error {
	if err := checkBuildSettings(l.Binary, l.Target, map[string]string{"-tags": LambdaTags}); err != nil {
		return err
	}
	if symbols, err := hasSymbols(l.Binary, l.Target.OS); err != nil {
		return fmt.Errorf("%s: %w", l.Binary, err)
	} else if symbols {
		return fmt.Errorf("%s: has a symbol table (want -s -w)", l.Binary)
	}
	bin, err := os.ReadFile(l.Binary)
	if err != nil {
		return err
	}
	zr, err := zip.OpenReader(l.Archive)
	if err != nil {
		return fmt.Errorf("%s: %w", l.Archive, err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		return fmt.Errorf("%s: want bootstrap alone at the top, got %d entries", l.Archive, len(zr.File))
	}
	f := zr.File[0]
	if f.Mode()&0o111 == 0 {
		return fmt.Errorf("%s: bootstrap is not executable (mode %v)", l.Archive, f.Mode())
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("%s: bootstrap: %w", l.Archive, err)
	}
	if !bytes.Equal(data, bin) {
		return fmt.Errorf("%s: bootstrap differs from the one built", l.Archive)
	}
	return nil
}

func checkBinary(a Artifact, version, commit string) error {
	if err := checkBuildSettings(a.Binary, a.Target, nil); err != nil {
		return err
	}
	// -trimpath keeps -ldflags out of the build information, so the stamped
	// values are looked for in the binary's data, and -s -w as the absence
	// of a symbol table.
	data, err := os.ReadFile(a.Binary)
	if err != nil {
		return err
	}
	for _, v := range []string{version, commit} {
		if !bytes.Contains(data, []byte(v)) {
			return fmt.Errorf("%s: %q is not stamped into the binary", a.Binary, v)
		}
	}
	if symbols, err := hasSymbols(a.Binary, a.Target.OS); err != nil {
		return fmt.Errorf("%s: %w", a.Binary, err)
	} else if symbols {
		return fmt.Errorf("%s: has a symbol table (want -s -w)", a.Binary)
	}
	return nil
}

// hasSymbols reports whether an executable of the target OS carries a
// symbol table (what -s strips).
func hasSymbols(path, goos string) (bool, error) {
	switch goos {
	case "linux":
		f, err := elf.Open(path)
		if err != nil {
			return false, err
		}
		defer f.Close()
		syms, err := f.Symbols()
		if errors.Is(err, elf.ErrNoSymbols) {
			return false, nil
		}
		return len(syms) > 0, err
	case "darwin":
		f, err := macho.Open(path)
		if err != nil {
			return false, err
		}
		defer f.Close()
		if f.Symtab == nil {
			return false, nil
		}
		// A stripped Mach-O binary keeps the undefined symbols dyld binds
		// (libSystem imports, section 0); -s removes every defined one.
		for _, sym := range f.Symtab.Syms {
			if sym.Sect != 0 {
				return true, nil
			}
		}
		return false, nil
	case "windows":
		f, err := pe.Open(path)
		if err != nil {
			return false, err
		}
		defer f.Close()
		return f.FileHeader.NumberOfSymbols > 0, nil
	}
	return false, fmt.Errorf("unknown GOOS %q", goos)
}

func checkArchive(a Artifact) error {
	bin, err := os.ReadFile(a.Binary)
	if err != nil {
		return err
	}
	contents := map[string][]byte{}
	if strings.HasSuffix(a.Archive, ".zip") {
		zr, err := zip.OpenReader(a.Archive)
		if err != nil {
			return fmt.Errorf("%s: %w", a.Archive, err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				return err
			}
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return fmt.Errorf("%s: %s: %w", a.Archive, f.Name, err)
			}
			contents[f.Name] = data
		}
	} else {
		f, err := os.Open(a.Archive)
		if err != nil {
			return err
		}
		defer f.Close()
		gz, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("%s: %w", a.Archive, err)
		}
		tr := tar.NewReader(gz)
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("%s: %w", a.Archive, err)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			if hdr.Name == filepath.Base(a.Binary) && hdr.Mode&0o111 == 0 {
				return fmt.Errorf("%s: %s is not executable", a.Archive, hdr.Name)
			}
			contents[hdr.Name] = data
		}
	}
	if got, ok := contents[filepath.Base(a.Binary)]; !ok || string(got) != string(bin) {
		return fmt.Errorf("%s: the binary %s is missing or differs from the one built", a.Archive, filepath.Base(a.Binary))
	}
	for _, f := range extraFiles {
		if len(contents[f]) == 0 {
			return fmt.Errorf("%s: %s is missing or empty", a.Archive, f)
		}
	}
	return nil
}

func checkSBOM(path, version string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc struct {
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
		Metadata    struct {
			Component struct {
				Name, Version string
				Purl          string `json:"purl"`
			} `json:"component"`
		} `json:"metadata"`
		Components []struct {
			Name, Version string
			Purl          string `json:"purl"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if doc.BOMFormat != "CycloneDX" || doc.SpecVersion != "1.5" || doc.Metadata.Component.Version != version || len(doc.Components) == 0 {
		return fmt.Errorf("%s: not a CycloneDX 1.5 SBOM of sagefence %s with its modules (format %q, spec %q, version %q, %d components)",
			path, version, doc.BOMFormat, doc.SpecVersion, doc.Metadata.Component.Version, len(doc.Components))
	}
	for _, c := range doc.Components {
		if !strings.HasPrefix(c.Purl, "pkg:golang/") || c.Version == "" {
			return fmt.Errorf("%s: component %s has no pkg:golang purl or version", path, c.Name)
		}
	}
	return nil
}
