package testutil

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Postgres is a throwaway PostgreSQL server on a free loopback port.
type Postgres struct {
	// URL connects as the superuser "sagefence" to database "postgres"
	// (trust authentication, loopback only).
	URL     string
	Port    int
	dataDir string
	runAs   []string
}

// StartPostgres runs initdb in a fresh temporary directory and starts the
// server with pg_ctl on a free 127.0.0.1 port, with no Unix socket; it stops
// the server and removes the directory at cleanup. PostgreSQL refuses to run
// as root, so as root the binaries run as the "postgres" user (else "nobody")
// through runuser, and the directory is handed to that user. The tools must be
// on PATH (RequireTool: a failure in CI, a skip elsewhere).
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	initdb := RequireTool(t, "initdb")
	pgCtl := RequireTool(t, "pg_ctl")
	dir, err := os.MkdirTemp("", "sagefence-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &Postgres{Port: FreePort(t), dataDir: filepath.Join(dir, "data")}
	if os.Geteuid() == 0 {
		p.runAs = rootDropPrivileges(t, dir)
	}
	run := func(name string, args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		argv := append(append(append([]string{}, p.runAs...), name), args...)
		out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
		}
	}
	run(initdb, "-D", p.dataDir, "-U", "sagefence", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories='' -c fsync=off -c max_connections=50", p.Port)
	run(pgCtl, "-D", p.dataDir, "-l", filepath.Join(dir, "server.log"), "-o", opts, "-w", "-t", "60", "start")
	t.Cleanup(func() {
		argv := append(append(append([]string{}, p.runAs...), pgCtl), "-D", p.dataDir, "-m", "immediate", "-w", "stop")
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			t.Logf("stopping postgres: %v\n%s", err, out)
		}
	})
	p.URL = fmt.Sprintf("postgres://sagefence@127.0.0.1:%d/postgres?sslmode=disable", p.Port)
	return p
}

// rootDropPrivileges picks an unprivileged user, gives it dir and returns the
// command prefix that runs a program as that user.
func rootDropPrivileges(t testing.TB, dir string) []string {
	t.Helper()
	runuser, err := exec.LookPath("runuser")
	if err != nil {
		Missing(t, "running as root and runuser is not on PATH (PostgreSQL refuses to run as root)")
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatalf("handing %s to %s: %v", dir, name, err)
		}
		return []string{runuser, "-u", name, "--"}
	}
	Missing(t, "running as root and neither a postgres nor a nobody user exists")
	return nil
}
