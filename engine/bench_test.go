package engine

import (
	"context"
	"math"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/sagefence/sagefence/bench/synth"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
	"github.com/sagefence/sagefence/surface/terraform"
)

// The benchmarks below measure what a scan does besides loading the
// Terraform roots (bench/ measures the whole scan against the parse floor):
// discovery, and everything after a root's model.Set is built. They run on
// a generated corpus of 2,000 files, or on SAGEFENCE_BENCH_DIR. They report
// CPU per operation (cpu-ms/op), steadier than wall time on a shared
// machine.
//
//	go test ./engine -run '^$' -bench . -cpu 1

// benchCorpus returns the directory the benchmarks scan.
func benchCorpus(b *testing.B) string {
	b.Helper()
	if dir := os.Getenv("SAGEFENCE_BENCH_DIR"); dir != "" {
		return dir
	}
	dir := b.TempDir()
	if _, err := synth.Generate(dir, 2000, 1); err != nil {
		b.Fatal(err)
	}
	return dir
}

// benchSets loads the Terraform roots under dir once.
func benchSets(b *testing.B, dir string) []*model.Set {
	b.Helper()
	in := Discover([]string{dir})
	var sets []*model.Set
	terraform.LoadEach(context.Background(), terraform.Input{Dirs: in.TerraformDirs, Args: in.TerraformArgs},
		surface.Options{}, func(_ int, set *model.Set) { sets = append(sets, set) })
	if len(sets) == 0 {
		b.Fatalf("no Terraform root under %s", dir)
	}
	return sets
}

// processCPU is the CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU used since start per operation.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// BenchmarkAfterLoad evaluates every set, stores the findings as the scan
// does (collector) and reads them back in report order: in memory, as
// engine.Scan; and spilled to disk, as the streamed scan of the CLI, past
// an eighth of the default budget (so that the generated corpus spills as
// much as one eight times its size).
func BenchmarkAfterLoad(b *testing.B) {
	sets := benchSets(b, benchCorpus(b))
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, bc := range []struct {
		name   string
		budget int64
	}{{"memory", math.MaxInt64}, {"spilled", finding.DefaultSpillBudget / 8}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			start := processCPU()
			for b.Loop() {
				ev := newEvaluator(nil, nil, now)
				res := &finding.Result{}
				store := finding.NewStore(finding.StoreOptions{Budget: bc.budget, Dir: b.TempDir()})
				c := collector{store: store}
				var merged merger
				for i, set := range sets {
					merged.add(c.add(i, ev.evaluate(set)))
				}
				res.UseStore(store)
				res.Finalize()
				if err := res.Materialize(); err != nil {
					b.Fatal(err)
				}
				if len(res.Findings) == 0 {
					b.Fatal("no findings")
				}
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkDiscover walks the corpus and classifies its files.
func BenchmarkDiscover(b *testing.B) {
	dir := benchCorpus(b)
	b.ReportAllocs()
	start := processCPU()
	for b.Loop() {
		if in := Discover([]string{dir}); len(in.TerraformDirs) == 0 {
			b.Fatal("nothing discovered")
		}
	}
	reportCPU(b, start)
}
