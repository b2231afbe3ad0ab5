// Package bench holds the IaC scan benchmarks. They compare a full
// `sagefence scan` of a synthetic Terraform corpus with the floor: reading and
// parsing the same files with hclsyntax on all cores and doing nothing else.
//
//	go test ./bench -run '^$' -bench . -benchtime 3x            # 2,000 files
//	SAGEFENCE_BENCH_FILES=10000 go test ./bench -run '^$' -bench . -benchtime 3x
//	SAGEFENCE_BENCH_DIR=/path/to/repos go test ./bench -run '^$' -bench . -benchtime 3x
package bench

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/sagefence/sagefence/bench/synth"
	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/finding"
)

var (
	corpusOnce sync.Once
	corpusDir  string
	corpusErr  error
	corpusN    int
)

// corpus generates the synthetic corpus once per test binary run, or
// returns SAGEFENCE_BENCH_DIR when it is set (a directory of real
// configurations, such as fetched public repositories).
func corpus(b *testing.B) string {
	b.Helper()
	corpusOnce.Do(func() {
		if d := os.Getenv("SAGEFENCE_BENCH_DIR"); d != "" {
			corpusDir = d
			var files []string
			files, corpusErr = tfFiles(d)
			corpusN = len(files)
			return
		}
		n := 2000
		if s := os.Getenv("SAGEFENCE_BENCH_FILES"); s != "" {
			if n, corpusErr = strconv.Atoi(s); corpusErr != nil {
				return
			}
		}
		corpusDir, corpusErr = os.MkdirTemp("", "sagefence-corpus-")
		if corpusErr != nil {
			return
		}
		corpusN, corpusErr = synth.Generate(corpusDir, n, 1)
	})
	if corpusErr != nil {
		b.Fatal(corpusErr)
	}
	return corpusDir
}

func tfFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".tf") {
			files = append(files, p)
		}
		return err
	})
	return files, err
}

// BenchmarkParseOnly is the floor: read and hclsyntax-parse every file on all cores.
func BenchmarkParseOnly(b *testing.B) {
	dir := corpus(b)
	b.ResetTimer()
	cpu0 := processCPU(b)
	for i := 0; i < b.N; i++ {
		files, err := tfFiles(dir)
		if err != nil {
			b.Fatal(err)
		}
		work := make(chan string)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var diags hcl.Diagnostics
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := range work {
					src, err := os.ReadFile(p)
					if err != nil {
						b.Error(err)
						continue
					}
					_, d := hclsyntax.ParseConfig(src, p, hcl.InitialPos)
					if d.HasErrors() {
						mu.Lock()
						diags = append(diags, d...)
						mu.Unlock()
					}
				}
			}()
		}
		for _, f := range files {
			work <- f
		}
		close(work)
		wg.Wait()
		if diags.HasErrors() && os.Getenv("SAGEFENCE_BENCH_DIR") == "" {
			b.Fatal(diags)
		}
	}
	b.ReportMetric(float64(corpusN)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
	reportCPU(b, cpu0)
}

// processCPU is the CPU time (user + system) the process used so far. On a
// machine shared with other work it measures the benchmark's own cost far
// more steadily than wall time, which includes waiting for a core.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU seconds per iteration since cpu0 (cpu-s/op).
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric((processCPU(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkScan is a full scan: discovery, evaluation, controls, findings.
func BenchmarkScan(b *testing.B) {
	dir := corpus(b)
	b.ResetTimer()
	var res *finding.Result
	cpu0 := processCPU(b)
	for i := 0; i < b.N; i++ {
		res = engine.Scan(context.Background(), []string{dir}, engine.Options{})
	}
	b.StopTimer()
	reportCPU(b, cpu0)
	b.ReportMetric(float64(corpusN)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(len(res.Findings)), "findings")
	if os.Getenv("SAGEFENCE_BENCH_DIR") != "" {
		return // real code: its errors and findings are its own
	}
	if len(res.Errors) > 0 {
		b.Fatalf("scan errors: %v", res.Errors[:min(3, len(res.Errors))])
	}
	// Each root has notebook_count (1-3) shared notebooks plus two module notebooks.
	roots := (corpusN + synth.FilesPerRoot - 1) / synth.FilesPerRoot
	if res.Summary.Fail+res.Summary.Pass < 3*roots {
		b.Fatalf("scan found too few findings (%+v) for %d roots", res.Summary, roots)
	}
}
