// Package bench holds the IaC scan benchmarks. They compare a full
// `sagefence scan` of a synthetic Terraform corpus with the floor: reading and
// parsing the same files, each with the parser the scan needs for it
// (hclsyntax for .tf and .tfvars, HCL's JSON parser for .tf.json, YAML for
// CloudFormation templates, JSON for plans), and doing nothing else.
//
//	go test ./bench -run '^$' -bench . -benchtime 3x            # 2,000 files
//	SAGEFENCE_BENCH_FILES=10000 go test ./bench -run '^$' -bench . -benchtime 3x
//	SAGEFENCE_BENCH_DIR=/path/to/repos go test ./bench -run '^$' -bench . -benchtime 3x
package bench

import (
	"context"
	"encoding/json"
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
	hcljson "github.com/hashicorp/hcl/v2/json"
	"go.yaml.in/yaml/v3"

	"github.com/sagefence/sagefence/bench/synth"
	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/gcpolicy"
)

// TestMain runs the benchmarks, floor and scan alike, with the collector
// settings the CLI runs with (gcpolicy): the ratio is that of a scan as users
// run it to the same parsing under the same runtime.
func TestMain(m *testing.M) {
	gcpolicy.Apply(os.Getenv)
	os.Exit(m.Run())
}

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

// tfFiles lists the .tf files under dir (the files counted in files/s).
func tfFiles(dir string) ([]string, error) {
	files, _, err := hclFiles(dir)
	return files, err
}

// hclFiles lists the .tf files and the other HCL files (.tf.json, .tfvars)
// under dir, skipping the directories discovery skips.
func hclFiles(dir string) (tf, other []string, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir():
			if p != dir && (d.Name() == ".git" || d.Name() == ".terraform" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
		case strings.HasSuffix(p, ".tf"):
			tf = append(tf, p)
		case strings.HasSuffix(p, ".tf.json"), strings.HasSuffix(p, ".tfvars"):
			other = append(other, p)
		}
		return nil
	})
	return tf, other, err
}

// parseFloor reads and parses one file with the parser the scan uses for
// its kind, and nothing else.
func parseFloor(p string, src []byte, plans map[string]bool) hcl.Diagnostics {
	switch {
	case strings.HasSuffix(p, ".tf"), strings.HasSuffix(p, ".tfvars"):
		_, d := hclsyntax.ParseConfig(src, p, hcl.InitialPos)
		return d
	case strings.HasSuffix(p, ".tf.json"):
		_, d := hcljson.Parse(src, p)
		return d
	case plans[p]:
		var v any
		_ = json.Unmarshal(src, &v)
	default: // a CloudFormation template
		var doc yaml.Node
		_ = yaml.Unmarshal(src, &doc)
	}
	return nil
}

// nonHCLInputs are the CloudFormation templates and plan files (also in
// plans) discovery finds under dir, which the scan parses too. Classifying
// them reads their first bytes; that is the scan's work, not the floor's, so
// it is done once before the floor is timed.
func nonHCLInputs(dir string) (files []string, plans map[string]bool) {
	in := engine.Discover([]string{dir})
	plans = map[string]bool{}
	for _, p := range in.PlanFiles {
		plans[p] = true
	}
	return append(append(files, in.TemplateFiles...), in.PlanFiles...), plans
}

// BenchmarkParseOnly is the floor: read and parse every file the scan
// parses, on all cores.
func BenchmarkParseOnly(b *testing.B) {
	dir := corpus(b)
	templates, plans := nonHCLInputs(dir)
	b.ResetTimer()
	cpu0 := processCPU(b)
	for i := 0; i < b.N; i++ {
		tf, other, err := hclFiles(dir)
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
					if d := parseFloor(p, src, plans); d.HasErrors() {
						mu.Lock()
						diags = append(diags, d...)
						mu.Unlock()
					}
				}
			}()
		}
		for _, list := range [][]string{tf, other, templates} {
			for _, f := range list {
				work <- f
			}
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

// BenchmarkScan is a full scan as the CLI runs it: discovery, evaluation,
// controls, the findings kept in the scan's store (on disk past its memory
// budget) and read back once, as a report reads them.
func BenchmarkScan(b *testing.B) {
	dir := corpus(b)
	b.ResetTimer()
	var res *finding.Result
	var findings int
	cpu0 := processCPU(b)
	for i := 0; i < b.N; i++ {
		res = engine.Scan(context.Background(), []string{dir}, engine.Options{StreamFindings: true})
		findings = 0
		if err := res.EachFinding(func(*finding.Finding) error { findings++; return nil }); err != nil {
			b.Fatal(err)
		}
		if err := res.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportCPU(b, cpu0)
	b.ReportMetric(float64(corpusN)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(findings), "findings")
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
