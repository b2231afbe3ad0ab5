package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// scanWith scans paths with a spill budget (0: the default), streamed or
// not, and returns the result with its findings read into Findings.
func scanWith(t *testing.T, paths []string, budget int64, stream bool) *finding.Result {
	t.Helper()
	res := Scan(context.Background(), paths, Options{
		Now:         time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		SpillBudget: budget, StreamFindings: stream,
	})
	if stream != res.Streamed() {
		t.Fatalf("Streamed() = %v with StreamFindings %v", res.Streamed(), stream)
	}
	if err := res.Materialize(); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestSpilledScanMatchesInMemory scans every case, the noise corpus and the
// examples with a budget of one byte (every finding spilled, runs merged
// again and again) and compares with the scan that keeps everything in
// memory: the same findings in the same order, the same summary, errors and
// gaps.
func TestSpilledScanMatchesInMemory(t *testing.T) {
	dirs, err := filepath.Glob("../testdata/cases/*")
	if err != nil {
		t.Fatal(err)
	}
	dirs = append(dirs, "../testdata/noise", "../examples", "../testdata/hostile/secrets")
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want := scanWith(t, []string{dir}, 0, false)
			for _, stream := range []bool{false, true} {
				got := scanWith(t, []string{dir}, 1, stream)
				if !reflect.DeepEqual(got.Findings, want.Findings) {
					t.Fatalf("stream=%v: findings differ (%d vs %d)", stream, len(got.Findings), len(want.Findings))
				}
				if got.Summary != want.Summary || !reflect.DeepEqual(got.Errors, want.Errors) ||
					!reflect.DeepEqual(got.Gaps, want.Gaps) || !reflect.DeepEqual(got.Sensitive, want.Sensitive) {
					t.Fatalf("stream=%v: summary, errors, gaps or sensitive values differ:\n%+v\n%+v", stream, got.Summary, want.Summary)
				}
			}
		})
	}
}

// TestSpillHoldsNoSecret scans the marker secrets with every finding
// spilled and checks, while the runs are on disk, that no marker (nor any
// other scanned text) is readable in them; Close removes them.
func TestSpillHoldsNoSecret(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	res := Scan(context.Background(), []string{"../testdata/hostile/secrets"}, Options{SpillBudget: 1, StreamFindings: true})
	var files int
	filepath.WalkDir(tmp, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range []string{"SECRET-MARKER", "SECRETMARKER", "aws_sagemaker_notebook_instance", "main.tf"} {
			if bytes.Contains(b, []byte(text)) {
				t.Errorf("%s holds %q", path, text)
			}
		}
		return nil
	})
	if files == 0 {
		t.Fatal("nothing was spilled: the test checks nothing")
	}
	// The findings read back hold the markers (redaction is the CLI's
	// next step): what was on disk was them, sealed.
	var marked bool
	res.EachFinding(func(f *finding.Finding) error {
		if f.Observed != nil && bytes.Contains([]byte(*f.Observed), []byte("SECRET-MARKER")) {
			marked = true
		}
		return nil
	})
	if !marked {
		t.Fatal("no finding holds a marker: the test checks nothing")
	}
	if err := res.Close(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("Close left %d entries in the temporary directory", len(entries))
	}
}

// TestCollectorOrderAndDedupe adds sets out of order, with findings that
// tie under finding.Less across roots and root-less duplicates across
// sets, and checks the store against the merge of the sets in order.
func TestCollectorOrderAndDedupe(t *testing.T) {
	mk := func(file string, line int, root, msg string, end int) finding.Finding {
		return finding.Finding{ControlID: "c", Status: finding.Fail, Surface: model.SurfaceCloudFormation,
			Resource: finding.Resource{Address: "Nb", Root: root}, Location: finding.Location{File: file, StartLine: line, EndLine: end},
			Message: msg, Frameworks: []finding.Framework{}, Aliases: []string{}}
	}
	set := func(fs ...finding.Finding) setResult { return setResult{findings: setFindings{findings: fs}} }
	sets := map[int]setResult{
		// Roots 0-2: the same file and line under three roots (ties).
		0: set(mk("m.tf", 1, "r0", "a", 1), mk("t.yaml", 5, "", "dup", 100)),
		1: set(mk("m.tf", 1, "r1", "a", 1)),
		2: set(mk("m.tf", 1, "r2", "a", 1), mk("t.yaml", 5, "", "dup", 200)),
		// File sets: the template reached twice; the first place wins.
		fileSetBase:     set(mk("t.yaml", 5, "", "dup", 300), mk("skip/x.yaml", 1, "", "skipped", 1)),
		fileSetBase + 1: set(mk("t.yaml", 5, "", "dup", 400), mk("u.yaml", 2, "", "u", 1)),
	}
	// The sets merged in order: the root-less duplicate kept the first time
	// (from root 0), the skipped file left out.
	want := sortedStable([]finding.Finding{
		mk("m.tf", 1, "r0", "a", 1), mk("t.yaml", 5, "", "dup", 100),
		mk("m.tf", 1, "r1", "a", 1),
		mk("m.tf", 1, "r2", "a", 1),
		mk("u.yaml", 2, "", "u", 1),
	})
	skip, err := NewPathFilter([]string{"skip"}, []string{"."})
	if err != nil {
		t.Fatal(err)
	}
	for _, arrival := range [][]int{
		{2, 0, 1, fileSetBase, fileSetBase + 1},
		{1, 2, 0, fileSetBase, fileSetBase + 1},
		{0, 1, 2, fileSetBase, fileSetBase + 1},
	} {
		for _, budget := range []int64{0, 1} {
			c := collector{store: finding.NewStore(finding.StoreOptions{Budget: budget, Dir: t.TempDir()}), skip: skip}
			for _, i := range arrival {
				c.add(i, sets[i])
			}
			res := &finding.Result{}
			res.UseStore(c.store)
			res.Finalize()
			if res.Summary.Fail != len(want) {
				t.Fatalf("arrival %v budget %d: %d fails counted, want %d", arrival, budget, res.Summary.Fail, len(want))
			}
			if err := res.Materialize(); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Findings, want) {
				t.Fatalf("arrival %v budget %d:\n got %+v\nwant %+v", arrival, budget, res.Findings, want)
			}
		}
	}
	if n := want[len(want)-2].Location.EndLine; n != 100 {
		t.Fatalf("the duplicate kept is the one of end line %d, want root 0's (100)", n)
	}
}

func sortedStable(fs []finding.Finding) []finding.Finding {
	r := &finding.Result{Findings: fs}
	r.Finalize()
	return r.Findings
}
