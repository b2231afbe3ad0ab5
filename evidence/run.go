package evidence

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// TimeLayout is how run times are stored: RFC 3339 in UTC, whole seconds,
// fixed width, so that text order is time order in both backends.
const TimeLayout = "2006-01-02T15:04:05Z"

// GenesisHash is the "previous hash" of the first run of a store that was
// never pruned: 32 zero bytes, hex-encoded.
var GenesisHash = strings.Repeat("0", 64)

// Summary counts a run's findings by status, and its errors.
type Summary = finding.Summary

// RunInfo is a run without its findings: what lists and the chain need.
type RunInfo struct {
	Seq           int64     `json:"seq"`
	StartedAt     time.Time `json:"started_at"`
	RecordedAt    time.Time `json:"recorded_at"`
	Command       string    `json:"command"`
	Paths         []string  `json:"paths"`
	Accounts      []string  `json:"accounts"`
	Regions       []string  `json:"regions"`
	ToolName      string    `json:"tool_name"`
	ToolVersion   string    `json:"tool_version"`
	FormatVersion string    `json:"format_version"`
	Summary       Summary   `json:"summary"`
	// Findings is the number of findings stored with the run.
	Findings int    `json:"findings"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// Run is a stored run with its findings (in stored order) and errors.
type Run struct {
	RunInfo
	FindingList []Finding     `json:"findings_list"`
	Errors      []model.Error `json:"errors"`
}

// Finding is one stored finding: the finding.Finding fields a history needs.
// The documentation fields (remediation, frameworks, aliases) are not stored;
// they come from the control catalog.
type Finding struct {
	ControlID    string   `json:"control_id"`
	Status       string   `json:"status"`
	Severity     string   `json:"severity"`
	Surface      string   `json:"surface"`
	ResourceType string   `json:"resource_type"`
	Address      string   `json:"address"`
	Name         string   `json:"name"`
	ARN          string   `json:"arn"`
	Account      string   `json:"account"`
	Region       string   `json:"region"`
	ResourcePath string   `json:"resource_path"`
	Stack        string   `json:"stack"`
	File         string   `json:"file"`
	StartLine    int64    `json:"start_line"`
	EndLine      int64    `json:"end_line"`
	Attribute    string   `json:"attribute"`
	Observed     *string  `json:"observed"`
	Expected     string   `json:"expected"`
	Resolution   string   `json:"resolution"`
	Message      string   `json:"message"`
	Evidence     []string `json:"evidence"`
	// Suppression fields are empty when the finding is not suppressed.
	SuppressionSource  string `json:"suppression_source"`
	SuppressionReason  string `json:"suppression_reason"`
	SuppressionExpires string `json:"suppression_expires"`
	Replacement        bool   `json:"replacement"`
}

// Key identifies the finding across runs; it equals finding.Finding.Key().
func (f Finding) Key() string {
	return f.ControlID + "|" + f.Surface + "|" + f.Account + "|" + f.Region + "|" + f.Address + "|" + f.File
}

// ResourceLabel is a short human name for the finding's resource.
func (f Finding) ResourceLabel() string {
	var parts []string
	if f.Account != "" || f.Region != "" {
		parts = append(parts, strings.Trim(f.Account+"/"+f.Region, "/"))
	}
	if f.File != "" {
		parts = append(parts, f.File)
	}
	parts = append(parts, f.Address)
	return strings.Join(parts, " ")
}

// clean makes a string storable in both backends: valid UTF-8, no NUL.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

func cleanAll(xs []string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, clean(x))
	}
	return out
}

// NewRun converts a Result into the run that Record stores. seq, hashes and
// RecordedAt are filled by the store. A Result without a scope time is
// recorded at now.
func NewRun(res *finding.Result, now time.Time) (*Run, error) {
	r := &Run{}
	r.ToolName, r.ToolVersion, r.FormatVersion = clean(res.Tool.Name), clean(res.Tool.Version), clean(res.FormatVersion)
	r.StartedAt = now.UTC().Truncate(time.Second)
	r.Paths, r.Accounts, r.Regions = []string{}, []string{}, []string{}
	if s := res.Scope; s != nil {
		r.Command = clean(s.Command)
		r.Paths, r.Accounts, r.Regions = cleanAll(s.Paths), cleanAll(s.Accounts), cleanAll(s.Regions)
		if s.Time != "" {
			t, err := time.Parse(time.RFC3339, s.Time)
			if err != nil {
				return nil, fmt.Errorf("scope time %q: %w", s.Time, err)
			}
			r.StartedAt = t.UTC().Truncate(time.Second)
		}
	}
	r.FindingList = make([]Finding, 0, len(res.Findings))
	for _, f := range res.Findings {
		sf := Finding{
			ControlID: clean(f.ControlID), Status: clean(string(f.Status)), Severity: clean(string(f.Severity)),
			Surface: clean(f.Surface), ResourceType: clean(f.Resource.Type), Address: clean(f.Resource.Address),
			Name: clean(f.Resource.Name), ARN: clean(f.Resource.ARN), Account: clean(f.Resource.Account),
			Region: clean(f.Resource.Region), ResourcePath: clean(f.Resource.Path), Stack: clean(f.Resource.Stack),
			File: clean(f.Location.File), StartLine: int64(f.Location.StartLine), EndLine: int64(f.Location.EndLine),
			Attribute: clean(f.Attribute), Expected: clean(f.Expected), Resolution: clean(string(f.Resolution)),
			Message: clean(f.Message), Evidence: cleanAll(f.Evidence), Replacement: f.Replacement,
		}
		if f.Observed != nil {
			o := clean(*f.Observed)
			sf.Observed = &o
		}
		if s := f.Suppression; s != nil {
			sf.SuppressionSource, sf.SuppressionReason, sf.SuppressionExpires = clean(s.Source), clean(s.Reason), clean(s.Expires)
		}
		r.FindingList = append(r.FindingList, sf)
	}
	r.Errors = make([]model.Error, 0, len(res.Errors))
	for _, e := range res.Errors {
		r.Errors = append(r.Errors, model.Error{File: clean(e.File), Line: e.Line, Region: clean(e.Region), Account: clean(e.Account), Message: clean(e.Message)})
	}
	r.Summary = summarize(r.FindingList, len(r.Errors))
	r.Findings = len(r.FindingList)
	return r, nil
}

func summarize(fs []Finding, errors int) Summary {
	s := Summary{Errors: errors}
	for _, f := range fs {
		switch finding.Status(f.Status) {
		case finding.Fail:
			s.Fail++
		case finding.Pass:
			s.Pass++
		case finding.Unknown:
			s.Unknown++
		case finding.Suppressed:
			s.Suppressed++
		}
	}
	return s
}

// Result converts a stored run back to a finding.Result (without the
// catalog's documentation fields).
func (r *Run) Result() *finding.Result {
	res := &finding.Result{
		FormatVersion: r.FormatVersion,
		Tool:          finding.Tool{Name: r.ToolName, Version: r.ToolVersion},
		Scope: &finding.Scope{Command: r.Command, Paths: r.Paths, Accounts: r.Accounts, Regions: r.Regions,
			Time: r.StartedAt.Format(TimeLayout)},
		Summary:  r.Summary,
		Findings: make([]finding.Finding, 0, len(r.FindingList)),
		Errors:   append([]model.Error{}, r.Errors...),
	}
	for _, f := range r.FindingList {
		ff := finding.Finding{
			ControlID: f.ControlID, Status: finding.Status(f.Status), Severity: finding.Severity(f.Severity), Surface: f.Surface,
			Resource: finding.Resource{Type: f.ResourceType, Address: f.Address, Name: f.Name, ARN: f.ARN,
				Region: f.Region, Account: f.Account, Path: f.ResourcePath, Stack: f.Stack},
			Location:  finding.Location{File: f.File, StartLine: int(f.StartLine), EndLine: int(f.EndLine)},
			Attribute: f.Attribute, Observed: f.Observed, Expected: f.Expected, Resolution: model.Resolution(f.Resolution),
			Message: f.Message, Evidence: f.Evidence, Replacement: f.Replacement,
			Frameworks: []finding.Framework{}, Aliases: []string{},
		}
		if f.SuppressionSource != "" || f.SuppressionReason != "" {
			ff.Suppression = &model.Suppression{Source: f.SuppressionSource, Reason: f.SuppressionReason, Expires: f.SuppressionExpires}
		}
		res.Findings = append(res.Findings, ff)
	}
	return res
}

// The canonical* types fix the canonical form's shape: fields are declared
// in bytewise order of their JSON names, so encoding/json writes the keys
// sorted, exactly as it would for maps.
type (
	// canonicalHead and canonicalTail are the run's keys before and after
	// "findings", which are streamed between them.
	canonicalHead struct {
		Accounts []string         `json:"accounts"`
		Command  string           `json:"command"`
		Errors   []canonicalError `json:"errors"`
	}
	canonicalTail struct {
		FormatVersion string           `json:"format_version"`
		Paths         []string         `json:"paths"`
		RecordedAt    string           `json:"recorded_at"`
		Regions       []string         `json:"regions"`
		Seq           int64            `json:"seq"`
		StartedAt     string           `json:"started_at"`
		Summary       canonicalSummary `json:"summary"`
		Tool          canonicalTool    `json:"tool"`
	}
	canonicalError struct {
		Account string `json:"account"`
		File    string `json:"file"`
		Line    int    `json:"line"`
		Message string `json:"message"`
		Region  string `json:"region"`
	}
	canonicalSummary struct {
		Errors     int `json:"errors"`
		Fail       int `json:"fail"`
		Pass       int `json:"pass"`
		Suppressed int `json:"suppressed"`
		Unknown    int `json:"unknown"`
	}
	canonicalTool struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	canonicalFinding struct {
		Attribute   string                `json:"attribute"`
		ControlID   string                `json:"control_id"`
		Evidence    []string              `json:"evidence"`
		Expected    string                `json:"expected"`
		Location    canonicalLocation     `json:"location"`
		Message     string                `json:"message"`
		Observed    *string               `json:"observed"`
		Replacement bool                  `json:"replacement"`
		Resolution  string                `json:"resolution"`
		Resource    canonicalResource     `json:"resource"`
		Severity    string                `json:"severity"`
		Status      string                `json:"status"`
		Suppression *canonicalSuppression `json:"suppression"`
		Surface     string                `json:"surface"`
	}
	canonicalLocation struct {
		EndLine   int64  `json:"end_line"`
		File      string `json:"file"`
		StartLine int64  `json:"start_line"`
	}
	canonicalResource struct {
		Account string `json:"account"`
		Address string `json:"address"`
		ARN     string `json:"arn"`
		Name    string `json:"name"`
		Path    string `json:"path"`
		Region  string `json:"region"`
		Stack   string `json:"stack"`
		Type    string `json:"type"`
	}
	canonicalSuppression struct {
		Expires string `json:"expires"`
		Reason  string `json:"reason"`
		Source  string `json:"source"`
	}
)

// canonicalEncoder writes JSON values without the Encoder's newline.
type canonicalEncoder struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

func newCanonicalEncoder(w io.Writer) *canonicalEncoder {
	c := &canonicalEncoder{w: bufio.NewWriterSize(w, 64<<10)}
	c.enc = json.NewEncoder(&c.buf)
	c.enc.SetEscapeHTML(false)
	return c
}

// value encodes v, dropping trimLeft bytes at its start and trimRight
// before the newline at its end (to splice objects).
func (c *canonicalEncoder) value(v any, trimLeft, trimRight int) error {
	c.buf.Reset()
	if err := c.enc.Encode(v); err != nil {
		return err
	}
	b := c.buf.Bytes()
	_, err := c.w.Write(b[trimLeft : len(b)-1-trimRight])
	return err
}

func (c *canonicalEncoder) raw(s string) error {
	_, err := c.w.WriteString(s)
	return err
}

// WriteCanonical writes the run's canonical serialization (see the package
// doc and docs/evidence.md): every stored field except the hash itself and
// prev_hash (which enters the hash separately), keys sorted bytewise, no
// whitespace. The findings are streamed one at a time.
func (r *Run) WriteCanonical(w io.Writer) error {
	errs := make([]canonicalError, 0, len(r.Errors))
	for _, e := range r.Errors {
		errs = append(errs, canonicalError{Account: e.Account, File: e.File, Line: e.Line, Message: e.Message, Region: e.Region})
	}
	c := newCanonicalEncoder(w)
	// {"accounts":...,"command":...,"errors":[...]  without the closing brace
	if err := c.value(canonicalHead{Accounts: nonNil(r.Accounts), Command: r.Command, Errors: errs}, 0, 1); err != nil {
		return err
	}
	if err := c.raw(`,"findings":[`); err != nil {
		return err
	}
	for i, f := range r.FindingList {
		if i > 0 {
			if err := c.raw(","); err != nil {
				return err
			}
		}
		cf := canonicalFinding{
			Attribute: f.Attribute, ControlID: f.ControlID, Evidence: nonNil(f.Evidence), Expected: f.Expected,
			Location: canonicalLocation{EndLine: f.EndLine, File: f.File, StartLine: f.StartLine},
			Message:  f.Message, Observed: f.Observed, Replacement: f.Replacement, Resolution: f.Resolution,
			Resource: canonicalResource{Account: f.Account, Address: f.Address, ARN: f.ARN, Name: f.Name,
				Path: f.ResourcePath, Region: f.Region, Stack: f.Stack, Type: f.ResourceType},
			Severity: f.Severity, Status: f.Status, Surface: f.Surface,
		}
		if f.SuppressionSource != "" || f.SuppressionReason != "" || f.SuppressionExpires != "" {
			cf.Suppression = &canonicalSuppression{Expires: f.SuppressionExpires, Reason: f.SuppressionReason, Source: f.SuppressionSource}
		}
		if err := c.value(cf, 0, 0); err != nil {
			return err
		}
	}
	if err := c.raw("],"); err != nil {
		return err
	}
	// "format_version":...,"tool":{...}}  without the opening brace
	tail := canonicalTail{
		FormatVersion: r.FormatVersion, Paths: nonNil(r.Paths), RecordedAt: r.RecordedAt.UTC().Format(TimeLayout),
		Regions: nonNil(r.Regions), Seq: r.Seq, StartedAt: r.StartedAt.UTC().Format(TimeLayout),
		Summary: canonicalSummary{Errors: r.Summary.Errors, Fail: r.Summary.Fail, Pass: r.Summary.Pass,
			Suppressed: r.Summary.Suppressed, Unknown: r.Summary.Unknown},
		Tool: canonicalTool{Name: r.ToolName, Version: r.ToolVersion},
	}
	if err := c.value(tail, 1, 0); err != nil {
		return err
	}
	return c.w.Flush()
}

// Canonical returns the canonical serialization as bytes.
func (r *Run) Canonical() ([]byte, error) {
	var buf bytes.Buffer
	if err := r.WriteCanonical(&buf); err != nil {
		return nil, fmt.Errorf("canonical form of run %d: %w", r.Seq, err)
	}
	return buf.Bytes(), nil
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// ChainHash is hex(SHA-256(prev || canonical)), prev being the 32 bytes the
// hex string prevHex encodes.
func ChainHash(prevHex string, canonical []byte) (string, error) {
	prev, err := hex.DecodeString(prevHex)
	if err != nil || len(prev) != sha256.Size {
		return "", fmt.Errorf("previous hash %q is not 64 hex digits", prevHex)
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ComputeHash is ChainHash over the run's canonical form and its PrevHash,
// streamed into the hash.
func (r *Run) ComputeHash() (string, error) {
	prev, err := hex.DecodeString(r.PrevHash)
	if err != nil || len(prev) != sha256.Size {
		return "", fmt.Errorf("previous hash %q is not 64 hex digits", r.PrevHash)
	}
	h := sha256.New()
	h.Write(prev)
	if err := r.WriteCanonical(h); err != nil {
		return "", fmt.Errorf("hashing run %d: %w", r.Seq, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
