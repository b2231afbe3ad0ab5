package testutil

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"
)

// HeadlessChromium runs chromium headless on a URL with extra flags
// (--dump-dom, --screenshot=FILE, ...) in a fresh profile and returns its
// standard output. Chromium must be on PATH (a failure in CI, a skip
// elsewhere). A browser that crashes or hangs (it happens on an overloaded
// machine) is started once more, in a new profile, before the test fails.
func HeadlessChromium(t testing.TB, url string, flags ...string) string {
	t.Helper()
	bin := RequireTool(t, "chromium")
	var lastErr error
	for attempt := 1; attempt <= 2; attempt++ {
		out, err := runChromium(bin, t.TempDir(), url, flags)
		if err == nil {
			return out
		}
		t.Logf("chromium %s, attempt %d: %v", url, attempt, err)
		lastErr = err
	}
	t.Fatalf("chromium %s: %v", url, lastErr)
	return ""
}

func runChromium(bin, profile, url string, flags []string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile}, flags...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%w\n%s", err, stderr.String())
	}
	return string(out), nil
}

// limitedBuffer keeps the first 8 KiB written to it.
type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := 8192 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }
