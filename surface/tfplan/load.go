package tfplan

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sagefence/sagefence/internal/safefs"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
)

// LoadFile reads one `terraform show -json` file (plan or state) and returns
// its Set. path is used as given in locations and errors. A file that cannot
// be read or decoded gives one error (with the line for malformed JSON) and
// no Set: a partial plan would be read as a complete one. opts is accepted
// for symmetry with the other surfaces; a plan already holds the values of
// its variables, so none are used.
func LoadFile(ctx context.Context, path string, opts surface.Options) surface.Result {
	_ = opts
	f, err := safefs.Open(path)
	if err != nil {
		return surface.Result{Errors: []model.Error{{File: path, Message: fmt.Sprintf("reading plan: %v", unwrapPath(err))}}}
	}
	defer f.Close()
	res, se := load(ctx, f, path)
	switch {
	case se == nil:
	case se.Walk:
		res.Errors[0].Line = syntaxErrorLine(ctx, path)
	default:
		res.Errors[0].Line = lineAt(path, se.Offset)
	}
	return res
}

// Load reads a `terraform show -json` document from r; name is the file
// name used in locations. Errors carry no line (LoadFile adds it).
func Load(ctx context.Context, r io.Reader, name string) surface.Result {
	res, _ := load(ctx, r, name)
	return res
}

// load also returns where a malformed document went wrong, when it did.
func load(ctx context.Context, r io.Reader, name string) (surface.Result, *syntaxError) {
	doc, err := decode(&ctxReader{ctx: ctx, r: r})
	if err == nil {
		return surface.Result{Sets: []*model.Set{build(name, doc)}}, nil
	}
	if ctx.Err() != nil {
		return surface.Result{Errors: []model.Error{{File: name, Message: "terraform plan JSON: " + ctx.Err().Error()}}}, nil
	}
	var se *syntaxError
	errors.As(err, &se)
	return surface.Result{Errors: []model.Error{{File: name, Message: "terraform plan JSON: " + err.Error()}}}, se
}

// syntaxErrorLine finds the line of the first JSON syntax error in a file by
// walking it token by token (only on the error path: the fast decoder
// reports offsets relative to the value it was reading). 0 when not found.
func syntaxErrorLine(ctx context.Context, path string) int {
	f, err := safefs.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReader(&ctxReader{ctx: ctx, r: f}))
	for {
		base := dec.InputOffset()
		_, err := dec.Token()
		if err == nil {
			continue
		}
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			off := se.Offset
			if off < base {
				// Reported inside a scalar, relative to where it starts.
				off += base
			}
			return lineAt(path, off)
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return lineAt(path, dec.InputOffset())
		}
		return 0
	}
}

// ctxReader stops reading when the context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// lineAt returns the 1-based line of a byte offset in a file (0 when unreadable).
func lineAt(path string, offset int64) int {
	f, err := safefs.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	br := bufio.NewReader(io.LimitReader(f, offset))
	line := 1
	for {
		b, err := br.ReadByte()
		if err != nil {
			return line
		}
		if b == '\n' {
			line++
		}
	}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
