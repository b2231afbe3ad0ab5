package cli

import (
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolveBuild(t *testing.T) {
	vcs := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/sagefence/sagefence", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-12-03T08:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	installed := &debug.BuildInfo{Main: debug.Module{Path: "github.com/sagefence/sagefence", Version: "v1.4.0"}}
	for _, tc := range []struct {
		name string
		ld   BuildInfo
		bi   *debug.BuildInfo
		want BuildInfo
	}{
		{"ldflags win", BuildInfo{Version: "2.0.0", Commit: "abc", Date: "2026-01-01"}, vcs,
			BuildInfo{Version: "2.0.0", Commit: "abc", Date: "2026-01-01", Modified: true}},
		{"checkout build: vcs settings", BuildInfo{}, vcs,
			BuildInfo{Version: "devel", Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-12-03T08:00:00Z", Modified: true}},
		{"go install @v1.4.0", BuildInfo{}, installed, BuildInfo{Version: "1.4.0"}},
		{"nothing known", BuildInfo{}, nil, BuildInfo{Version: "devel"}},
	} {
		if got := resolveBuild(tc.ld, tc.bi, tc.bi != nil); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestVersionCommand(t *testing.T) {
	code, out, _ := run(t, "", "version")
	if code != ExitOK || !strings.HasPrefix(out, "sagefence "+Version+" (") || strings.Contains(out, "0.1.0") {
		t.Errorf("version: exit %d %q", code, out)
	}
	code, out, _ = run(t, "", "version", "--format", "json")
	var b BuildInfo
	if err := json.Unmarshal([]byte(out), &b); code != ExitOK || err != nil || b.Version != Version || b.GoVersion == "" {
		t.Errorf("version --format json: exit %d %v %q", code, err, out)
	}
}
