package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
)

// TestSARIFSchema validates the SARIF output against the SARIF 2.1.0 JSON
// schema (testdata/schema/README.md says where it comes from).
func TestSARIFSchema(t *testing.T) {
	schemaPath := filepath.Join("testdata", "schema", "sarif-2.1.0-rtm.5.json")
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	validate := func(t *testing.T, out []byte) {
		t.Helper()
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Fatalf("SARIF output is not valid SARIF 2.1.0: %v", err)
		}
	}
	t.Run("fixture", func(t *testing.T) { validate(t, render(t, "sarif", Options{})) })
	t.Run("related locations", func(t *testing.T) {
		var buf bytes.Buffer
		if err := (SARIF{}).Format(&buf, provenanceResult(t)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(buf.Bytes(), []byte(`"relatedLocations"`)) {
			t.Fatal("no relatedLocations in the log")
		}
		validate(t, buf.Bytes())
	})
	t.Run("empty", func(t *testing.T) {
		r := &finding.Result{FormatVersion: finding.FormatVersion, Tool: finding.Tool{Name: "sagefence", Version: "0.1.0"}}
		r.Finalize()
		var buf bytes.Buffer
		if err := (SARIF{}).Format(&buf, r); err != nil {
			t.Fatal(err)
		}
		validate(t, buf.Bytes())
	})
	t.Run("rejects a broken log", func(t *testing.T) {
		// The validator must be able to fail: a result without a message is invalid.
		var log map[string]any
		if err := json.Unmarshal(render(t, "sarif", Options{}), &log); err != nil {
			t.Fatal(err)
		}
		res := log["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)
		delete(res, "message")
		broken, _ := json.Marshal(log)
		inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(broken))
		if schema.Validate(inst) == nil {
			t.Fatal("schema accepted a result without a message")
		}
	})
}

// sarifDoc mirrors what GitHub code scanning reads from an upload.
type sarifDoc struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name  string `json:"name"`
				Rules []struct {
					ID               string            `json:"id"`
					HelpURI          string            `json:"helpUri"`
					Help             map[string]string `json:"help"`
					ShortDescription map[string]string `json:"shortDescription"`
					Properties       map[string]any    `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Invocations []struct {
			ExecutionSuccessful        bool                `json:"executionSuccessful"`
			ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications"`
		} `json:"invocations"`
		OriginalURIBaseIDs map[string]struct {
			URI string `json:"uri"`
		} `json:"originalUriBaseIds"`
		Results []struct {
			RuleID              string            `json:"ruleId"`
			RuleIndex           int               `json:"ruleIndex"`
			Level               string            `json:"level"`
			Message             map[string]string `json:"message"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Suppressions        []struct {
				Kind          string `json:"kind"`
				Justification string `json:"justification"`
			} `json:"suppressions"`
			Properties map[string]any `json:"properties"`
			Locations  []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct {
						URI       string `json:"uri"`
						URIBaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region *struct{ StartLine, EndLine int }
				} `json:"physicalLocation"`
				LogicalLocations []struct{ Name, FullyQualifiedName, Kind string } `json:"logicalLocations"`
			} `json:"locations"`
		} `json:"results"`
	} `json:"runs"`
}

// TestSARIFContent checks the mapping decisions GitHub depends on, with
// suppressed findings listed (-sarif-include-suppressed); TestSARIFSuppressed
// checks the default.
func TestSARIFContent(t *testing.T) {
	var doc sarifDoc
	if err := json.Unmarshal(render(t, "sarif", Options{SARIFIncludeSuppressed: true}), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	rules := run.Tool.Driver.Rules
	if len(rules) != len(control.All()) {
		t.Fatalf("want one rule per control of the catalog (%d), got %d", len(control.All()), len(rules))
	}
	for i, c := range control.All() {
		r := rules[i]
		if r.ID != c.ID {
			t.Errorf("rule %d is %s, want %s (catalog order)", i, r.ID, c.ID)
		}
		if r.HelpURI == "" || r.Help["text"] == "" || r.Help["markdown"] == "" || r.ShortDescription["text"] == "" {
			t.Errorf("rule %s lacks help, helpUri or description", r.ID)
		}
		want := map[string]string{"high": "8.0", "medium": "5.0", "low": "2.0"}[string(c.Severity)]
		if r.Properties["security-severity"] != want {
			t.Errorf("rule %s: security-severity %v, want %s for %s", r.ID, r.Properties["security-severity"], want, c.Severity)
		}
	}
	// 8 findings, 2 passes are not results.
	if len(run.Results) != 6 {
		t.Fatalf("want 6 results (every non-pass), got %d", len(run.Results))
	}
	for _, res := range run.Results {
		if res.Suppressions == nil {
			t.Errorf("%s: with suppressed results listed, every result needs suppressions ([] when none)", res.RuleID)
		}
	}
	seen := map[string]bool{}
	for _, res := range run.Results {
		if rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("ruleIndex %d points at %s, not %s", res.RuleIndex, rules[res.RuleIndex].ID, res.RuleID)
		}
		fp := res.PartialFingerprints["sagefence/v1"]
		if len(fp) != 32 || seen[fp] {
			t.Errorf("fingerprint %q missing or duplicated", fp)
		}
		seen[fp] = true
		status := res.Properties["status"]
		switch status {
		case "fail":
			if res.Level != "error" || len(res.Suppressions) != 0 {
				t.Errorf("high fail: level %s, suppressions %v", res.Level, res.Suppressions)
			}
		case "unknown":
			if res.Level != "warning" || !strings.HasPrefix(res.Message["text"], "Could not decide:") {
				t.Errorf("unknown: level %s, message %q", res.Level, res.Message["text"])
			}
		case "suppressed":
			if len(res.Suppressions) != 1 || res.Suppressions[0].Justification == "" {
				t.Errorf("suppressed result without a justified suppression: %+v", res.Suppressions)
			}
			want := "inSource"
			if strings.HasPrefix(res.Suppressions[0].Justification, "config:") {
				want = "external"
			}
			if res.Suppressions[0].Kind != want {
				t.Errorf("suppression kind %s, want %s", res.Suppressions[0].Kind, want)
			}
		default:
			t.Errorf("unexpected status %v", status)
		}
		loc := res.Locations[0]
		if res.Properties["surface"] == "aws" {
			if loc.PhysicalLocation != nil || loc.LogicalLocations[0].FullyQualifiedName == "" && res.Properties["arn"] != nil {
				t.Errorf("live result should have a logical location with the ARN: %+v", loc)
			}
		} else {
			pl := loc.PhysicalLocation
			if pl == nil || strings.Contains(pl.ArtifactLocation.URI, `\`) || strings.HasPrefix(pl.ArtifactLocation.URI, "/") || pl.Region == nil || pl.Region.StartLine == 0 {
				t.Errorf("IaC result needs a relative URI and a line region: %+v", pl)
			}
		}
	}
	inv := run.Invocations[0]
	if inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != 4 {
		t.Errorf("input errors and gaps must be notifications, errors mark the run unsuccessful: %+v", inv)
	}
	var gapNotes []sarifNotification
	for _, n := range inv.ToolExecutionNotifications {
		if n.Descriptor != nil {
			gapNotes = append(gapNotes, n)
		}
	}
	if len(gapNotes) != 2 || gapNotes[0].Level != "warning" || gapNotes[0].Descriptor.ID != "access_denied" ||
		gapNotes[1].Descriptor.ID != "module_not_downloaded" || len(gapNotes[1].Locations) != 1 ||
		!strings.Contains(gapNotes[1].Message.Text, "terraform init") {
		t.Errorf("gaps must be one warning notification each, with kind and location: %+v", gapNotes)
	}
}

// TestSARIFSuppressed: by default suppressed findings are not results
// (GitHub ignores SARIF suppressions and would open alerts), no result has
// a suppressions property, and the summary still counts them.
func TestSARIFSuppressed(t *testing.T) {
	var doc sarifDoc
	if err := json.Unmarshal(render(t, "sarif", Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	want, suppressed := 0, 0
	for _, f := range fixtureResult().Findings {
		switch f.Status {
		case finding.Fail, finding.Unknown:
			want++
		case finding.Suppressed:
			suppressed++
		}
	}
	if suppressed == 0 || len(run.Results) != want {
		t.Fatalf("want %d results (fail and unknown; the fixture's %d suppressed left out), got %d", want, suppressed, len(run.Results))
	}
	for _, res := range run.Results {
		if res.Properties["status"] == "suppressed" || res.Suppressions != nil {
			t.Errorf("suppressed result or suppressions property in the default log: %+v", res)
		}
	}
}

// TestSARIFSourceRoot: with a source root, URIs are relative to it with
// uriBaseId SRCROOT whether the file was reached by an absolute or a
// relative path, and originalUriBaseIds gives the root.
func TestSARIFSourceRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "repo")
	res := fixtureResult()
	for i := range res.Findings {
		f := &res.Findings[i]
		if f.Location.File == "" {
			continue
		}
		if i%2 == 0 {
			f.Location.File = filepath.Join(root, "abs", filepath.Base(f.Location.File))
		} else {
			f.Location.File = filepath.Join("rel", filepath.Base(f.Location.File))
		}
	}
	res.Errors = nil
	res.Finalize()
	var buf bytes.Buffer
	if err := (SARIF{SourceRoot: root, WorkDir: filepath.Join(root, "sub")}).Format(&buf, res); err != nil {
		t.Fatal(err)
	}
	var doc sarifDoc
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	base := run.OriginalURIBaseIDs["SRCROOT"].URI
	if !strings.HasPrefix(base, "file:///") || !strings.HasSuffix(base, "/repo/") {
		t.Errorf("originalUriBaseIds.SRCROOT = %q", base)
	}
	kinds := map[string]bool{}
	for i, r := range run.Results {
		pl := r.Locations[0].PhysicalLocation
		if pl == nil {
			continue
		}
		uri := pl.ArtifactLocation.URI
		if pl.ArtifactLocation.URIBaseID != "SRCROOT" {
			t.Errorf("result %d: uri %q without uriBaseId SRCROOT", i, uri)
		}
		switch {
		case strings.HasPrefix(uri, "abs/"):
			kinds["absolute"] = true
		case strings.HasPrefix(uri, "sub/rel/"):
			kinds["relative"] = true
		default:
			t.Errorf("result %d: uri %q, want abs/... or sub/rel/...", i, uri)
		}
	}
	if !kinds["absolute"] || !kinds["relative"] {
		t.Errorf("both kinds of path must be exercised: %v", kinds)
	}
}

// TestSARIFFingerprintStable: moving a resource down a file keeps its
// fingerprint; a different file changes it.
func TestSARIFFingerprintStable(t *testing.T) {
	f := fixtureResult().Findings[0]
	moved := f
	moved.Location.StartLine += 40
	moved.Location.EndLine += 40
	if fingerprint(f) != fingerprint(moved) {
		t.Error("fingerprint changed when only the line moved")
	}
	other := f
	other.Location.File = "elsewhere/main.tf"
	if fingerprint(f) == fingerprint(other) {
		t.Error("fingerprint ignores the file")
	}
}

// junitConsumer mirrors what Jenkins' and GitLab's JUnit parsers read.
type junitConsumer struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name      string `xml:"name,attr"`
		Tests     int    `xml:"tests,attr"`
		Failures  int    `xml:"failures,attr"`
		Errors    int    `xml:"errors,attr"`
		Skipped   int    `xml:"skipped,attr"`
		Time      string `xml:"time,attr"`
		Timestamp string `xml:"timestamp,attr"`
		Cases     []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			File      string `xml:"file,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitConsumer(t *testing.T) {
	var doc junitConsumer
	if err := xml.Unmarshal(render(t, "junit", Options{}), &doc); err != nil {
		t.Fatalf("not parseable XML: %v", err)
	}
	r := fixtureResult()
	s := r.Summary
	wantTests := len(r.Findings) + len(r.Errors) + len(r.Gaps)
	if doc.Tests != wantTests || doc.Failures != s.Fail || doc.Errors != s.Unknown+s.Errors+s.Gaps || doc.Skipped != s.Suppressed {
		t.Errorf("totals tests=%d failures=%d errors=%d skipped=%d; want %d %d %d %d",
			doc.Tests, doc.Failures, doc.Errors, doc.Skipped, wantTests, s.Fail, s.Unknown+s.Errors+s.Gaps, s.Suppressed)
	}
	names := map[string]bool{}
	sum := 0
	for _, suite := range doc.Suites {
		var fail, errs, skip int
		for _, c := range suite.Cases {
			key := c.Classname + "\x00" + c.Name
			if names[key] {
				t.Errorf("duplicate test case %s / %s", c.Classname, c.Name)
			}
			names[key] = true
			if c.Classname != suite.Name {
				t.Errorf("classname %s in suite %s", c.Classname, suite.Name)
			}
			if c.Time == "" {
				t.Errorf("test case %s has no time", c.Name)
			}
			switch {
			case c.Failure != nil:
				fail++
				if c.Failure.Message == "" || !strings.Contains(c.Failure.Body, "fix:") {
					t.Errorf("failure %s without message or fix", c.Name)
				}
			case c.Error != nil:
				errs++
			case c.Skipped != nil:
				skip++
				if !strings.HasPrefix(c.Skipped.Message, "suppressed: ") {
					t.Errorf("skipped %s without the suppression reason", c.Name)
				}
			}
		}
		if suite.Tests != len(suite.Cases) || suite.Failures != fail || suite.Errors != errs || suite.Skipped != skip {
			t.Errorf("suite %s counts do not match its cases", suite.Name)
		}
		if suite.Timestamp != "2026-11-25T12:00:00" {
			t.Errorf("suite %s timestamp %q", suite.Name, suite.Timestamp)
		}
		sum += suite.Tests
	}
	if sum != doc.Tests {
		t.Errorf("suite tests add to %d, root says %d", sum, doc.Tests)
	}
}

func TestCSV(t *testing.T) {
	rows, err := csv.NewReader(bytes.NewReader(render(t, "csv", Options{}))).ReadAll()
	if err != nil {
		t.Fatalf("not RFC 4180 CSV: %v", err)
	}
	r := fixtureResult()
	if len(rows) != len(r.Findings)+1 {
		t.Fatalf("want a header and %d rows, got %d rows", len(r.Findings), len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for i, f := range r.Findings {
		row := rows[i+1]
		if row[col["control_id"]] != f.ControlID || row[col["status"]] != string(f.Status) || row[col["address"]] != f.Resource.Address || row[col["message"]] != f.Message {
			t.Errorf("row %d does not round-trip: %q", i+1, row)
		}
		if f.Observed == nil && row[col["observed"]] != "" {
			t.Errorf("row %d: unknown observed value rendered as %q", i+1, row[col["observed"]])
		}
	}
}

func TestMarkdownEscapes(t *testing.T) {
	out := string(render(t, "markdown", Options{}))
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		// every table row of a section has exactly the header's cells
		cells := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
		if cells != 6 && cells != 7 {
			t.Errorf("table row broken by unescaped text (%d pipes): %s", cells, line)
		}
	}
	for _, want := range []string{`defaults to "Enabled" \| the notebook`, "default;<br>pass --parameter", "&lt;no data&gt;", "### Input errors"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

func TestASFF(t *testing.T) {
	var fs []ASFFFinding
	if err := json.Unmarshal(render(t, "asff", Options{Account: "111122223333", Region: "eu-central-1"}), &fs); err != nil {
		t.Fatal(err)
	}
	r := fixtureResult()
	if len(fs) != len(r.Findings) {
		t.Fatalf("want %d findings, got %d", len(r.Findings), len(fs))
	}
	ids := map[string]bool{}
	for i, a := range fs {
		f := r.Findings[i]
		if ids[a.Id] {
			t.Errorf("duplicate Id %s", a.Id)
		}
		ids[a.Id] = true
		wantAccount, wantRegion := f.Resource.Account, f.Resource.Region
		if wantAccount == "" {
			wantAccount, wantRegion = "111122223333", "eu-central-1"
		}
		if a.AwsAccountId != wantAccount || a.ProductArn != "arn:aws:securityhub:"+wantRegion+":"+wantAccount+":product/"+wantAccount+"/default" {
			t.Errorf("%s: account %s product %s", a.Id, a.AwsAccountId, a.ProductArn)
		}
		if a.SchemaVersion != "2018-10-08" || a.GeneratorId != f.ControlID || a.CreatedAt != "2026-11-25T12:00:00Z" || len(a.Types) != 1 {
			t.Errorf("%s: header fields %+v", a.Id, a)
		}
		want := map[finding.Status][2]string{
			finding.Fail: {"FAILED", "NEW"}, finding.Pass: {"PASSED", "RESOLVED"}, finding.Suppressed: {"FAILED", "SUPPRESSED"},
		}[f.Status]
		if f.Status == finding.Unknown {
			want = [2]string{"WARNING", "NEW"}
			if f.Surface == "aws" {
				want[0] = "NOT_AVAILABLE"
			}
		}
		if a.Compliance.Status != want[0] || a.Workflow.Status != want[1] {
			t.Errorf("%s (%s/%s): compliance %s workflow %s, want %v", a.Id, f.Status, f.Surface, a.Compliance.Status, a.Workflow.Status, want)
		}
		if !containsString(a.Compliance.RelatedRequirements, "NIST SP 800-53 Rev 5 SC-7") {
			t.Errorf("%s: RelatedRequirements %v", a.Id, a.Compliance.RelatedRequirements)
		}
		res := a.Resources[0]
		if strings.Contains(f.Resource.Type, "Notebook") || strings.Contains(f.Resource.Type, "notebook") {
			if res.Type != "AwsSageMakerNotebookInstance" || res.Details.AwsSageMakerNotebookInstance == nil {
				t.Errorf("%s: notebook resource %+v", a.Id, res)
			}
		} else if res.Type != "Other" {
			t.Errorf("%s: domain resource type %s", a.Id, res.Type)
		}
		if len(a.Description) > 1024 || len(a.Title) > 256 {
			t.Errorf("%s: text over Security Hub limits", a.Id)
		}
	}
	// the live notebook's details carry what was observed
	for _, a := range fs {
		if d := a.Resources[0].Details; d != nil && d.AwsSageMakerNotebookInstance != nil && d.AwsSageMakerNotebookInstance.NotebookInstanceName == "data-science" && a.GeneratorId == "sagemaker_notebook_instance_direct_internet_access_disabled" {
			if d.AwsSageMakerNotebookInstance.DirectInternetAccess != "Enabled" || a.Resources[0].Id == "" {
				t.Errorf("live notebook details: %+v", d.AwsSageMakerNotebookInstance)
			}
		}
	}
}

func TestNewUnknownFormat(t *testing.T) {
	if _, err := New("yaml", Options{}); err == nil || !strings.Contains(err.Error(), "sarif") {
		t.Errorf("unknown format error should list the formats: %v", err)
	}
}

func TestMarkdownCapsLongLists(t *testing.T) {
	r := fixtureResult()
	var buf bytes.Buffer
	if err := (Markdown{MaxRows: 1}).Format(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "… and 2 more") || !strings.Contains(out, "**3** fail") {
		t.Errorf("long list not capped, or counts lost:\n%s", out)
	}
	if n := strings.Count(out, "| high | `sagemaker_notebook_instance"); n > 3 {
		t.Errorf("%d rows shown with MaxRows 1", n)
	}
}
