package evidence

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultPath(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	cases := []struct {
		goos   string
		getenv func(string) string
		home   string
		want   string
		err    string
	}{
		{"linux", env("XDG_DATA_HOME", "/data"), "/home/u", filepath.Join("/data", "sagefence", "evidence.db"), ""},
		{"linux", env(), "/home/u", filepath.Join("/home/u", ".local", "share", "sagefence", "evidence.db"), ""},
		{"linux", env("XDG_DATA_HOME", "relative/ignored"), "/home/u", filepath.Join("/home/u", ".local", "share", "sagefence", "evidence.db"), ""},
		{"freebsd", env(), "/home/u", filepath.Join("/home/u", ".local", "share", "sagefence", "evidence.db"), ""},
		{"linux", env(), "", "", "pass --store"},
		{"darwin", env("XDG_DATA_HOME", "/data"), "/Users/u", filepath.Join("/Users/u", "Library", "Application Support", "sagefence", "evidence.db"), ""},
		{"windows", env("LocalAppData", `C:\Users\u\AppData\Local`), "", filepath.Join(`C:\Users\u\AppData\Local`, "sagefence", "evidence.db"), ""},
		{"windows", env("AppData", `C:\Users\u\AppData\Roaming`), "", filepath.Join(`C:\Users\u\AppData\Roaming`, "sagefence", "evidence.db"), ""},
		{"windows", env(), "", "", "pass --store"},
	}
	for _, c := range cases {
		got, err := DefaultPath(c.goos, c.getenv, c.home)
		if got != c.want || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("DefaultPath(%s, home %q) = %q, %v; want %q, %q", c.goos, c.home, got, err, c.want, c.err)
		}
	}
}

func TestResolveLocation(t *testing.T) {
	getenv := func(k string) string {
		if k == EnvStore {
			return "postgres://env@db/evidence"
		}
		return ""
	}
	if got, _ := ResolveLocation("/tmp/flag.db", getenv); got != "/tmp/flag.db" {
		t.Errorf("the flag must win: %q", got)
	}
	if got, _ := ResolveLocation("", getenv); got != "postgres://env@db/evidence" {
		t.Errorf("$SAGEFENCE_STORE must come next: %q", got)
	}
	if !IsPostgres("postgresql://x/y") || IsPostgres("/var/lib/postgres.db") {
		t.Error("IsPostgres")
	}
	for in, want := range map[string]string{
		"postgres://user:secret@db:5432/ev?sslmode=require":                   "postgres://user:xxxxx@db:5432/ev?sslmode=require",
		"postgres://user@db/ev?password=secret&sslmode=disable":               "postgres://user@db/ev?password=xxxxx&sslmode=disable",
		"postgresql://user@db/ev?sslmode=verify-full&sslpassword=secret":      "postgresql://user@db/ev?sslmode=verify-full&sslpassword=xxxxx",
		"postgres://user@db/ev?PASSWORD=secret":                               "postgres://user@db/ev?PASSWORD=xxxxx",
		"postgres://user@db/ev?pass%77ord=secret":                             "postgres://user@db/ev?pass%77ord=xxxxx",
		"postgres://user@db/ev?password=secret%zz":                            "postgres://user@db/ev?(query not shown: it cannot be parsed)",
		"postgres://user:s%40cret@db/ev?application_name=sagefence&password=": "postgres://user:xxxxx@db/ev?application_name=sagefence&password=xxxxx",
	} {
		if got := redactURL(in); got != want || strings.Contains(got, "secret") || strings.Contains(got, "cret") {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
