package cli

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Build metadata. A release build sets them with the linker:
//
//	go build -ldflags "-X github.com/sagefence/sagefence/internal/cli.Version=1.2.0
//	  -X github.com/sagefence/sagefence/internal/cli.Commit=$(git rev-parse HEAD)
//	  -X github.com/sagefence/sagefence/internal/cli.Date=2026-12-03T08:00:00Z"
//
// What the linker leaves empty is filled once at start-up from the binary's
// embedded build information (runtime/debug.ReadBuildInfo): the module
// version for `go install ...@v1.2.0`, vcs.revision and vcs.time for a build
// from a git checkout. Version is "devel" when nothing says more.
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

func init() {
	bi, ok := debug.ReadBuildInfo()
	b := resolveBuild(BuildInfo{Version: Version, Commit: Commit, Date: Date}, bi, ok)
	Version, Commit, Date = b.Version, b.Commit, b.Date
}

// BuildInfo is what `sagefence version` reports.
type BuildInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
	// Modified is true when the binary was built from a checkout with
	// uncommitted changes (vcs.modified; unknown for ldflags builds).
	Modified  bool   `json:"modified"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// resolveBuild fills what the linker did not set from the embedded build
// information: the main module's version when it is a real one (not
// "(devel)"), vcs.revision, vcs.time and vcs.modified.
func resolveBuild(ld BuildInfo, bi *debug.BuildInfo, ok bool) BuildInfo {
	b := ld
	if ok && bi != nil {
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = strings.TrimPrefix(bi.Main.Version, "v")
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				if b.Date == "" {
					b.Date = s.Value
				}
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	return b
}

// currentBuild is this binary's build information.
func currentBuild() BuildInfo {
	return BuildInfo{
		Version: Version, Commit: Commit, Date: Date,
		Modified:  buildModified(),
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
	}
}

func buildModified() bool {
	bi, ok := debug.ReadBuildInfo()
	return resolveBuild(BuildInfo{Version: "x"}, bi, ok).Modified
}

// String is the one-line form: "sagefence 1.2.0 (commit 0123abcd..., built
// 2026-12-03T08:00:00Z, go1.26.0, linux/amd64)".
func (b BuildInfo) String() string {
	parts := []string{}
	if b.Commit != "" {
		c := "commit " + b.Commit
		if b.Modified {
			c += " (modified)"
		}
		parts = append(parts, c)
	}
	if b.Date != "" {
		parts = append(parts, "built "+b.Date)
	}
	parts = append(parts, b.GoVersion, b.Platform)
	return fmt.Sprintf("sagefence %s (%s)", b.Version, strings.Join(parts, ", "))
}

func newVersionCmd(io *IO) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print the version, the commit it was built from and the build date",
		Example: "  sagefence version\n  sagefence version --format json",
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			b := currentBuild()
			switch strings.ToLower(format) {
			case "", "text", "table":
				_, err := fmt.Fprintln(io.Out, b.String())
				return err
			case "json":
				enc := json.NewEncoder(io.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(b)
			}
			return usagef("--format %q: want text or json", format)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text or json")
	return cmd
}
