package cli

// Process-level plumbing shared by every command: the I/O streams, the
// error kinds commands return, and the one place (exitCode) that turns them
// into an exit code.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"

	"github.com/sagefence/sagefence/internal/gcpolicy"
)

// Exit codes (OUTPUT.md).
const (
	ExitOK    = 0
	ExitFail  = 1
	ExitError = 2
)

// IO holds the streams a command uses, so tests can swap them.
type IO struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY/ErrTTY report whether Out/ErrOut are terminals.
	OutTTY bool
	ErrTTY bool
	// Width is the terminal's width in columns when Out is a terminal, else
	// 0; $COLUMNS overrides it (see termWidth).
	Width  int
	Getenv func(string) string
}

// SystemIO returns the process's streams.
func SystemIO() *IO {
	return &IO{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutTTY: isatty.IsTerminal(os.Stdout.Fd()) || isatty.IsCygwinTerminal(os.Stdout.Fd()),
		ErrTTY: isatty.IsTerminal(os.Stderr.Fd()) || isatty.IsCygwinTerminal(os.Stderr.Fd()),
		Width:  stdoutWidth(),
		Getenv: os.Getenv,
	}
}

// stdoutWidth is the width of the terminal on standard output, 0 when it is
// not one.
func stdoutWidth() int {
	w, _, err := term.GetSize(int(os.Stdout.Fd()))
	if err != nil {
		return 0
	}
	return w
}

// termWidth is the width --compact wraps to: $COLUMNS when set, else the
// terminal's, else 0 (the formatter's default).
func (s *IO) termWidth() int {
	if s.Getenv != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(s.Getenv("COLUMNS"))); err == nil && n > 0 {
			return n
		}
	}
	return s.Width
}

// info is the IO for informational messages (progress, "recorded run"):
// with quiet, its ErrOut discards them; errors are never written through it.
func (s *IO) info(quiet bool) *IO {
	if !quiet {
		return s
	}
	c := *s
	c.ErrOut = io.Discard
	return &c
}

// usageError is bad usage: wrong flags, unknown control, unreadable config.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// resultError carries a finished run's exit code (1 for fails, 2 for input
// errors); its message has already been reported.
type resultError struct{ code int }

func (r resultError) Error() string { return fmt.Sprintf("exit status %d", r.code) }

// Main runs the command line with the process's streams and arguments,
// with the collector tuned for a batch run (gcpolicy).
func Main() int {
	gcpolicy.Apply(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first SIGINT/SIGTERM cancels ctx: every blocking step of a command
	// returns and the command exits 2 ("interrupted"). Handling is then
	// given back to the default, so a second signal ends the process at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	return Run(ctx, SystemIO(), os.Args[1:])
}

// Run executes one command line and returns its exit code.
func Run(ctx context.Context, io *IO, args []string) int {
	root := NewRootCmd(io)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil {
		var re resultError
		if !errors.As(err, &re) {
			fmt.Fprintf(io.ErrOut, "sagefence: %v\n", err)
			if code == ExitError && errors.As(err, new(usageError)) {
				fmt.Fprintln(io.ErrOut, "Run 'sagefence --help' for usage.")
			}
		}
	}
	return code
}

// exitCode maps a command's error to the process exit code.
func exitCode(err error) int {
	var re resultError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &re):
		return re.code
	default:
		// usage errors, unreadable inputs, cancelled runs
		return ExitError
	}
}
