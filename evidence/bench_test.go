package evidence

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/sagefence/sagefence/finding"
)

// BenchmarkRecord100kFindings records one run of 100,000 findings into SQLite.
func BenchmarkRecord100kFindings(b *testing.B) {
	st := openStore(b, filepath.Join(b.TempDir(), "evidence.db"))
	res := bigResult(day(0), 100_000)
	b.ResetTimer()
	for i := range b.N {
		res.Scope.Time = day(i).Format(time.RFC3339)
		if _, err := st.Record(context.Background(), res); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*100_000)/b.Elapsed().Seconds(), "findings/s")
}

// BenchmarkExportYearOfDailyRuns builds and renders (JSON) the report of a
// year of daily runs of 50 notebooks, some failing now and then.
func BenchmarkExportYearOfDailyRuns(b *testing.B) {
	st := openStore(b, filepath.Join(b.TempDir(), "evidence.db"))
	for d := range 365 {
		rs := make([]resource, 50)
		for i := range rs {
			s := finding.Pass
			if (d+i)%17 == 0 {
				s = finding.Fail
			} else if (d*i)%41 == 1 {
				s = finding.Unknown
			}
			rs[i] = resource{address: fmt.Sprintf("aws_sagemaker_notebook_instance.nb[%d]", i), status: s}
		}
		if _, err := st.Record(context.Background(), result(day(d), rs...)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		rep, err := BuildReport(context.Background(), st, ExportOptions{From: day(0), To: day(365)})
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteReport(io.Discard, rep, "json"); err != nil {
			b.Fatal(err)
		}
	}
}
