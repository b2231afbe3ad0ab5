// Command snapshot builds a release snapshot offline (`make
// release-snapshot`): every target's archive, SBOM and checksums in dist/,
// versioned from git as goreleaser's --snapshot does, then checks them: the
// checksums verify, every archive holds its binary, and the binary for this
// machine's platform reports the commit it was built from.
//
//	go run ./internal/release/snapshot [-out dist] [-targets linux/amd64,darwin/arm64]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"time"

	"github.com/sagefence/sagefence/internal/release"
)

func main() {
	out := flag.String("out", "dist", "output `DIR` (must be empty or absent)")
	targets := flag.String("targets", "all", "comma-separated GOOS/GOARCH `LIST`, or all")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *out, *targets); err != nil {
		fmt.Fprintln(os.Stderr, "release-snapshot:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out, targetList string) error {
	ts, err := release.ParseTargets(targetList)
	if err != nil {
		return err
	}
	commit, err := git(ctx, "rev-parse", "HEAD")
	if err != nil {
		return err
	}
	dateText, err := git(ctx, "log", "-1", "--format=%cI", "HEAD")
	if err != nil {
		return err
	}
	date, err := time.Parse(time.RFC3339, dateText)
	if err != nil {
		return fmt.Errorf("commit date %q: %w", dateText, err)
	}
	version := release.SnapshotVersion(gitOr(ctx, "", "describe", "--tags", "--abbrev=0"), commit)
	start := time.Now()
	res, err := release.Build(ctx, release.Options{
		ModuleDir: ".", Out: out, Version: version, Commit: commit, Date: date, Targets: ts, Log: os.Stderr,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "release-snapshot: %d targets in %s, version %s\n", len(ts), time.Since(start).Round(time.Second), version)
	if err := release.Check(res, version, commit); err != nil {
		return err
	}
	// Run the binary built for this machine: it must report the commit.
	host := release.Target{OS: runtime.GOOS, Arch: runtime.GOARCH}
	for _, a := range res.Artifacts {
		if a.Target != host {
			continue
		}
		raw, err := exec.CommandContext(ctx, a.Binary, "version", "--format", "json").Output()
		if err != nil {
			return fmt.Errorf("running %s version: %w", a.Binary, err)
		}
		var v struct{ Version, Commit string }
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("%s version --format json: %w", a.Binary, err)
		}
		if v.Commit != commit || v.Version != version {
			return fmt.Errorf("%s reports version %q commit %q, want %q %q", a.Binary, v.Version, v.Commit, version, commit)
		}
		line, _ := exec.CommandContext(ctx, a.Binary, "version").Output()
		fmt.Fprintf(os.Stderr, "release-snapshot: %s: %s", host, line)
	}
	fmt.Fprintf(os.Stderr, "release-snapshot: checksums, archives and SBOMs verified in %s\n", out)
	return nil
}

func git(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "git", args...).Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

func gitOr(ctx context.Context, def string, args ...string) string {
	s, err := git(ctx, args...)
	if err != nil {
		return def
	}
	return s
}
