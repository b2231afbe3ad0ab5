package evidence

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
)

// cpuSeconds is the process's user+system CPU time: on a shared machine it
// is steadier than wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// BenchmarkRecord100kFindings records one run of 100,000 findings into
// SQLite, and into PostgreSQL (server CPU not included in cpu-s/op).
func BenchmarkRecord100kFindings(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchRecord(b, filepath.Join(b.TempDir(), "evidence.db")) })
	b.Run("postgres", func(b *testing.B) {
		pg := testutil.StartPostgres(b)
		benchRecord(b, pg.URL)
	})
}

func benchRecord(b *testing.B, location string) {
	st := openStore(b, location)
	res := bigResult(day(0), 100_000)
	b.ResetTimer()
	cpu := cpuSeconds()
	for i := range b.N {
		res.Scope.Time = day(i).Format(time.RFC3339)
		if _, err := st.Record(context.Background(), res); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuSeconds()-cpu)/float64(b.N), "cpu-s/op")
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
	cpu := cpuSeconds()
	for range b.N {
		rep, err := BuildReport(context.Background(), st, ExportOptions{From: day(0), To: day(365)})
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteReport(io.Discard, rep, "json"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuSeconds()-cpu)/float64(b.N), "cpu-s/op")
}
