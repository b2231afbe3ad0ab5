package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSnapshotVersion(t *testing.T) {
	for _, tc := range []struct{ tag, want string }{
		{"", "0.0.1-SNAPSHOT-0123456"},
		{"v1.2.3", "1.2.4-SNAPSHOT-0123456"},
		{"1.9.0-rc.1", "1.9.1-SNAPSHOT-0123456"},
		{"nonsense", "0.0.1-SNAPSHOT-0123456"},
	} {
		if got := SnapshotVersion(tc.tag, "0123456789abcdef"); got != tc.want {
			t.Errorf("SnapshotVersion(%q) = %q, want %q", tc.tag, got, tc.want)
		}
	}
}

func TestParseTargets(t *testing.T) {
	if ts, err := ParseTargets("all"); err != nil || len(ts) != 6 {
		t.Errorf("all: %v %v", ts, err)
	}
	ts, err := ParseTargets("linux/amd64, windows/arm64")
	if err != nil || len(ts) != 2 || ts[1] != (Target{"windows", "arm64"}) {
		t.Errorf("list: %v %v", ts, err)
	}
	if _, err := ParseTargets("linux"); err == nil {
		t.Error("linux accepted")
	}
	if ArchiveName("1.0.0", Target{"windows", "amd64"}) != "sagefence_1.0.0_windows_amd64.zip" ||
		ArchiveName("1.0.0", Target{"darwin", "arm64"}) != "sagefence_1.0.0_darwin_arm64.tar.gz" {
		t.Error("archive names differ from goreleaser's default")
	}
}

// TestArtefactsAndChecks packs a small Go binary of this module (the
// snapshot command, whose build information lists its modules) as if it
// were a release binary: the archives, SBOM and
// checksums are written and pass their checks; a tampered archive fails the
// checksums; the binary itself fails checkBinary because it was not built
// with the release flags.
func TestArtefactsAndChecks(t *testing.T) {
	dir := t.TempDir()
	self := filepath.Join(dir, "snapshot")
	if out, err := exec.Command("go", "build", "-o", self, "./snapshot").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	root := filepath.Join("..", "..")
	date := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	var sums []string
	var arts []Artifact
	for _, tg := range []Target{{"linux", "amd64"}, {"windows", "amd64"}} {
		name := "sagefence"
		if tg.OS == "windows" {
			name += ".exe"
		}
		bin := filepath.Join(dir, tg.OS, name)
		data, err := os.ReadFile(self)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			t.Fatal(err)
		}
		files := []archiveFile{{name: name, path: bin, mode: 0o755}}
		for _, f := range extraFiles {
			files = append(files, archiveFile{name: f, path: filepath.Join(root, f), mode: 0o644})
		}
		a := Artifact{Target: tg, Binary: bin, Archive: filepath.Join(dir, ArchiveName("1.2.3", tg))}
		write := writeTarGz
		if tg.OS == "windows" {
			write = writeZip
		}
		if err := write(a.Archive, files, date); err != nil {
			t.Fatal(err)
		}
		a.SBOM = a.Archive + ".cdx.json"
		if err := WriteSBOM(a.SBOM, bin, "1.2.3", tg, date); err != nil {
			t.Fatal(err)
		}
		if err := checkArchive(a); err != nil {
			t.Errorf("%s: %v", tg, err)
		}
		if err := checkSBOM(a.SBOM, "1.2.3"); err != nil {
			t.Errorf("%s: %v", tg, err)
		}
		if err := checkBinary(a, "1.2.3", "abc"); err == nil {
			t.Errorf("a binary built without the release flags passed checkBinary")
		}
		arts = append(arts, a)
		sums = append(sums, a.Archive, a.SBOM)
	}
	// The same program built with the release flags passes every check of
	// checkBinary but the stamp: it does not link internal/cli, so the -X
	// values have nowhere to go (make release-snapshot checks a real one).
	stamped := filepath.Join(dir, "stamped")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", LDFlags("1.2.3", "0123456789abcdef0123456789abcdef01234567", date), "-o", stamped, "./snapshot")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := checkBinary(Artifact{Target: Target{"linux", "amd64"}, Binary: stamped}, "1.2.3", "0123"); err == nil || !strings.Contains(err.Error(), "is not stamped") {
		t.Errorf("release flags: want only the stamp check to fail, got %v", err)
	}
	if symbols, err := hasSymbols(stamped, "linux"); err != nil || symbols {
		t.Errorf("-s -w build: symbols %v, %v", symbols, err)
	}
	if symbols, err := hasSymbols(self, "linux"); err != nil || !symbols {
		t.Errorf("plain build: symbols %v, %v", symbols, err)
	}
	sbom, _ := os.ReadFile(arts[0].SBOM)
	for _, want := range []string{`"specVersion": "1.5"`, `"pkg:golang/github.com/sagefence/sagefence@v1.2.3"`, `"Apache-2.0"`, `"pkg:golang/github.com/CycloneDX/cyclonedx-go@v`} {
		if !strings.Contains(string(sbom), want) {
			t.Errorf("SBOM lacks %s", want)
		}
	}
	sumFile := filepath.Join(dir, ChecksumsName)
	if err := WriteChecksums(sumFile, sums); err != nil {
		t.Fatal(err)
	}
	if n, err := VerifyChecksums(sumFile); err != nil || n != 4 {
		t.Fatalf("verify: %d %v", n, err)
	}
	raw, _ := os.ReadFile(sumFile)
	if lines := strings.Split(strings.TrimSpace(string(raw)), "\n"); len(lines) != 4 || !strings.HasSuffix(lines[0], "  sagefence_1.2.3_linux_amd64.tar.gz") {
		t.Errorf("checksums file:\n%s", raw)
	}
	// Archives are reproducible: packing again gives the same bytes.
	again := filepath.Join(dir, "again.tar.gz")
	files := []archiveFile{{name: "sagefence", path: arts[0].Binary, mode: 0o755}}
	for _, f := range extraFiles {
		files = append(files, archiveFile{name: f, path: filepath.Join(root, f), mode: 0o644})
	}
	if err := writeTarGz(again, files, date); err != nil {
		t.Fatal(err)
	}
	a1, _ := os.ReadFile(arts[0].Archive)
	a2, _ := os.ReadFile(again)
	if string(a1) != string(a2) {
		t.Error("packing the same files twice gave different archives")
	}
	if err := os.WriteFile(arts[1].Archive, []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyChecksums(sumFile); err == nil || !strings.Contains(err.Error(), "mismatch") {
		t.Errorf("tampered archive: %v", err)
	}
}

// TestLambdaPackageCheck: a bootstrap built as the release builds the Config
// rule (static, -trimpath, stripped, lambda.norpc) passes checkLambda when
// packed alone and executable; each way a package can be wrong is caught.
func TestLambdaPackageCheck(t *testing.T) {
	dir := t.TempDir()
	date := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	target := Target{"linux", "amd64"}
	build := func(name string, tags ...string) string {
		bin := filepath.Join(dir, name, "bootstrap")
		args := append([]string{"build", "-trimpath", "-ldflags", "-s -w"}, tags...)
		cmd := exec.Command("go", append(args, "-o", bin, "./snapshot")...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		return bin
	}
	tagged := build("tagged", "-tags", LambdaTags)
	untagged := build("untagged")
	pack := func(name, bin string, mode int64, extra ...archiveFile) LambdaArtifact {
		archive := filepath.Join(dir, name+".zip")
		files := append([]archiveFile{{name: "bootstrap", path: bin, mode: mode}}, extra...)
		if err := writeZip(archive, files, date); err != nil {
			t.Fatal(err)
		}
		return LambdaArtifact{Target: target, Binary: bin, Archive: archive}
	}
	if err := checkLambda(pack("good", tagged, 0o755)); err != nil {
		t.Fatalf("a release-built package fails: %v", err)
	}
	bad := map[string]struct {
		l    LambdaArtifact
		want string
	}{
		"no lambda.norpc tag":  {pack("untagged", untagged, 0o755), "-tags"},
		"not executable":       {pack("mode", tagged, 0o644), "not executable"},
		"another file beside":  {pack("extra", tagged, 0o755, archiveFile{name: "LICENSE", path: filepath.Join("..", "..", "LICENSE"), mode: 0o644}), "alone"},
		"another binary built": {LambdaArtifact{Target: target, Binary: untagged, Archive: filepath.Join(dir, "good.zip")}, "-tags"},
	}
	for name, c := range bad {
		if err := checkLambda(c.l); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error mentioning %q", name, err, c.want)
		}
	}
	if got := LambdaArchiveName("1.2.3", Target{"linux", "arm64"}); got != "sagefence-config-rule_1.2.3_linux_arm64.zip" {
		t.Errorf("LambdaArchiveName = %q", got)
	}
}
