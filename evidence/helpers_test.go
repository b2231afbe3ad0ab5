package evidence

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
	"github.com/sagefence/sagefence/model"
)

// backend opens fresh, empty stores of one kind.
type backend struct {
	name string
	// start prepares the backend for the calling test and returns a function
	// giving the location of a new empty store.
	start func(t *testing.T) func(t *testing.T) string
}

var dbCounter atomic.Int64

// backends are SQLite (always) and PostgreSQL on a real server started in
// the test that uses it (that test alone is skipped outside CI when initdb is
// missing).
var backends = []backend{
	{name: "sqlite", start: func(*testing.T) func(t *testing.T) string {
		return func(t *testing.T) string { return filepath.Join(t.TempDir(), "evidence.db") }
	}},
	{name: "postgres", start: func(t *testing.T) func(t *testing.T) string {
		pg := testutil.StartPostgres(t)
		return func(t *testing.T) string {
			name := fmt.Sprintf("evidence_%d", dbCounter.Add(1))
			admin, err := sql.Open("pgx", pg.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			if _, err := admin.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
				t.Fatalf("creating database %s: %v", name, err)
			}
			return fmt.Sprintf("postgres://sagefence@127.0.0.1:%d/%s?sslmode=disable", pg.Port, name)
		}
	}},
}

func openStore(t testing.TB, location string) *sqlStore {
	t.Helper()
	st, err := Open(context.Background(), location)
	if err != nil {
		t.Fatalf("opening %s: %v", location, err)
	}
	t.Cleanup(func() { st.Close() })
	return st.(*sqlStore)
}

func strp(s string) *string { return &s }

// resource is one notebook in a synthetic history.
type resource struct {
	address string
	status  finding.Status
}

// result builds a scan result at a time with one finding per resource for
// the direct-internet-access control.
func result(at time.Time, resources ...resource) *finding.Result {
	res := &finding.Result{
		FormatVersion: finding.FormatVersion,
		Tool:          finding.Tool{Name: "sagefence", Version: "0.1.0-test"},
		Scope:         &finding.Scope{Command: "scan", Paths: []string{"infra/"}, Time: at.UTC().Format(time.RFC3339)},
	}
	for i, r := range resources {
		f := finding.Finding{
			ControlID: "sagemaker_notebook_instance_direct_internet_access_disabled",
			Status:    r.status, Severity: finding.High, Surface: model.SurfaceTerraform,
			Resource:  finding.Resource{Type: "aws_sagemaker_notebook_instance", Address: r.address, Name: r.address + "-nb"},
			Location:  finding.Location{File: "infra/main.tf", StartLine: 10 * (i + 1), EndLine: 10*(i+1) + 5},
			Attribute: "direct_internet_access", Expected: "Disabled", Resolution: model.Explicit,
			Message: fmt.Sprintf("%s is %s", r.address, r.status),
		}
		switch r.status {
		case finding.Pass:
			f.Observed = strp("Disabled")
		case finding.Fail:
			f.Observed = strp("Enabled")
		case finding.Unknown:
			f.Resolution = model.Unknown
		case finding.Suppressed:
			f.Observed = strp("Enabled")
			f.Suppression = &model.Suppression{Source: "checkov", Reason: "lab <sandbox> & \"test\"", Expires: "2027-01-01"}
		}
		res.Findings = append(res.Findings, f)
	}
	res.Finalize()
	return res
}

// bigResult has n findings spread over resources, for benchmarks and the crash test.
func bigResult(at time.Time, n int) *finding.Result {
	rs := make([]resource, n)
	for i := range rs {
		st := finding.Pass
		if i%7 == 0 {
			st = finding.Fail
		}
		rs[i] = resource{address: fmt.Sprintf("aws_sagemaker_notebook_instance.nb[%d]", i), status: st}
	}
	return result(at, rs...)
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func day(n int) time.Time { return t0.AddDate(0, 0, n) }
