package tfplan

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

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
	f, err := os.Open(path)
	if err != nil {
		return surface.Result{Errors: []model.Error{{File: path, Message: fmt.Sprintf("reading plan: %v", unwrapPath(err))}}}
	}
	defer f.Close()
	res, offset := load(ctx, f, path)
	if offset >= 0 {
		res.Errors[0].Line = lineAt(path, offset)
	}
	return res
}

// Load reads a `terraform show -json` document from r; name is the file
// name used in locations. A malformed document's error names the byte offset.
func Load(ctx context.Context, r io.Reader, name string) surface.Result {
	res, offset := load(ctx, r, name)
	if offset >= 0 {
		res.Errors[0].Message += fmt.Sprintf(" (at byte %d)", offset)
	}
	return res
}

// load returns the offset of a syntax error, or -1.
func load(ctx context.Context, r io.Reader, name string) (surface.Result, int64) {
	doc, err := decode(&ctxReader{ctx: ctx, r: r})
	if err == nil {
		return surface.Result{Sets: []*model.Set{build(name, doc)}}, -1
	}
	if ctx.Err() != nil {
		return surface.Result{Errors: []model.Error{{File: name, Message: "terraform plan JSON: " + ctx.Err().Error()}}}, -1
	}
	res := surface.Result{Errors: []model.Error{{File: name, Message: "terraform plan JSON: " + err.Error()}}}
	var se *syntaxError
	if errors.As(err, &se) {
		return res, se.Offset
	}
	return res, -1
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
	f, err := os.Open(path)
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
