package report

import (
	"encoding/json"
	"io"

	"github.com/sagefence/sagefence/finding"
)

// JSON writes the result as the OUTPUT.md contract, indented.
type JSON struct{}

// Format implements Formatter.
func (JSON) Format(w io.Writer, r *finding.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
