package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// cliRun configures one command line run in a test.
type cliRun struct {
	// dir is the working directory for the run ("" keeps the current one).
	dir string
	// env is the whole environment the command sees through IO.Getenv.
	env map[string]string
	// errTTY makes standard error look like a terminal.
	errTTY bool
}

// runWith executes a command line with captured streams.
func runWith(t *testing.T, c cliRun, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if c.dir != "" {
		t.Chdir(c.dir)
	}
	var out, errOut bytes.Buffer
	io := &IO{
		In: strings.NewReader(""), Out: &out, ErrOut: &errOut, ErrTTY: c.errTTY,
		Getenv: func(k string) string { return c.env[k] },
	}
	code = Run(context.Background(), io, args)
	return code, out.String(), errOut.String()
}

// run executes a command line in dir ("" for the current directory).
func run(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runWith(t, cliRun{dir: dir}, args...)
}
