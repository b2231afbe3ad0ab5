package finding

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"
	"unsafe"

	"github.com/sagefence/sagefence/model"
)

// spillFindings builds n findings spread over sets, with many ties under
// Less (few files, lines and controls), so that the order depends on Seq.
func spillFindings(rng *rand.Rand, sets, perSet int) (fs []Finding, seqs []Seq) {
	statuses := []Status{Fail, Pass, Unknown, Suppressed}
	for set := range sets {
		for pos := range rng.IntN(perSet + 1) {
			obs := fmt.Sprintf("v%d", rng.IntN(3))
			f := Finding{
				ControlID:  fmt.Sprintf("c%d", rng.IntN(3)),
				Status:     statuses[rng.IntN(len(statuses))],
				Severity:   High,
				Surface:    "terraform",
				Resource:   Resource{Type: "t", Address: fmt.Sprintf("a.b%d", rng.IntN(2)), Root: fmt.Sprintf("root%d", set)},
				Location:   Location{File: fmt.Sprintf("f%d.tf", rng.IntN(3)), StartLine: rng.IntN(3), EndLine: 9},
				Observed:   &obs,
				Message:    fmt.Sprintf("set %d finding %d", set, pos),
				Frameworks: []Framework{{Framework: "X", IDs: []string{"1"}}},
				Aliases:    []string{"A"},
			}
			switch rng.IntN(4) {
			case 0:
				empty := ""
				f.Observed = &empty
			case 1:
				f.Observed = nil
				f.Provenance = []ProvenanceStep{{Kind: "variable", Name: "x", File: "v.tf", Line: 2}}
				f.Evidence = []string{"line one", "line two"}
			case 2:
				f.Suppression = &model.Suppression{Source: "checkov", IDs: []string{"CKV_AWS_122"}, Reason: "why",
					Range: model.Range{File: "f.tf", StartLine: 3, EndLine: 3}}
			}
			fs = append(fs, f)
			seqs = append(seqs, SeqOf(set, pos))
		}
	}
	return fs, seqs
}

// wantOrder is the order of the code before the store: the findings in
// Seq order, stably sorted by Less.
func wantOrder(fs []Finding, seqs []Seq) []Finding {
	idx := make([]int, len(fs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return seqs[idx[a]] < seqs[idx[b]] })
	out := make([]Finding, len(fs))
	for i, j := range idx {
		out[i] = fs[j]
	}
	sort.SliceStable(out, func(i, j int) bool { return Less(out[i], out[j]) })
	return out
}

func readAll(t *testing.T, s *Store) []Finding {
	t.Helper()
	var out []Finding
	if err := s.Each(func(f *Finding) error { out = append(out, *f); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameFindings compares whole findings, including what JSON leaves out.
func sameFindings(t *testing.T, got, want []Finding) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d findings, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			g, _ := json.Marshal(got[i])
			w, _ := json.Marshal(want[i])
			t.Fatalf("finding %d:\n got %s %+v\nwant %s %+v", i, g, got[i].Suppression, w, want[i].Suppression)
		}
	}
}

func TestStoreMergesInStableOrder(t *testing.T) {
	for _, tc := range []struct {
		name    string
		budget  int64
		maxRuns int
		spills  bool
	}{
		{"in memory", 0, 0, false},
		{"tiny budget", 2000, 0, true},
		{"one finding per run, runs merged", 1, 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			fs, seqs := spillFindings(rng, 40, 12)
			want := wantOrder(fs, seqs)
			s := NewStore(StoreOptions{Budget: tc.budget, MaxRuns: tc.maxRuns, Dir: t.TempDir()})
			defer s.Close()
			// Sets arrive out of order, as roots do.
			order := rng.Perm(len(fs))
			for _, i := range order {
				if err := s.Add(&fs[i], seqs[i]); err != nil {
					t.Fatal(err)
				}
			}
			if tc.spills != (s.Runs() > 0) {
				t.Fatalf("runs on disk: %d, want spilling %v", s.Runs(), tc.spills)
			}
			if s.SpillError() != nil {
				t.Fatal(s.SpillError())
			}
			if max := s.opts.MaxRuns; s.Runs() > max {
				t.Fatalf("%d runs, more than the bound %d", s.Runs(), max)
			}
			sameFindings(t, readAll(t, s), want)
			// A second pass reads the same.
			sameFindings(t, readAll(t, s), want)
			if s.Len() != len(fs) {
				t.Fatalf("Len %d, want %d", s.Len(), len(fs))
			}
			if got, wantCounts := s.Counts(), Summarize(fs, 0); got != wantCounts {
				t.Fatalf("counts %+v, want %+v", got, wantCounts)
			}
		})
	}
}

func TestStoreSmallNeverWrites(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(StoreOptions{Dir: dir})
	fs, seqs := spillFindings(rand.New(rand.NewPCG(3, 4)), 5, 5)
	for i := range fs {
		if err := s.Add(&fs[i], seqs[i]); err != nil {
			t.Fatal(err)
		}
	}
	sameFindings(t, readAll(t, s), wantOrder(fs, seqs))
	if entries, _ := os.ReadDir(dir); len(entries) != 0 || s.Runs() != 0 {
		t.Fatalf("a small store wrote %d entries, %d runs", len(entries), s.Runs())
	}
}

func TestStoreFilesPrivateAndRemoved(t *testing.T) {
	parent := t.TempDir()
	s := NewStore(StoreOptions{Budget: 1, Dir: parent})
	fs, seqs := spillFindings(rand.New(rand.NewPCG(5, 6)), 4, 4)
	for i := range fs {
		if err := s.Add(&fs[i], seqs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if s.Runs() == 0 {
		t.Fatal("nothing spilled")
	}
	dirs, _ := os.ReadDir(parent)
	if len(dirs) != 1 {
		t.Fatalf("want one private directory, got %d", len(dirs))
	}
	dir := filepath.Join(parent, dirs[0].Name())
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v", st.Mode().Perm())
	}
	runs, _ := os.ReadDir(dir)
	for _, r := range runs {
		st, _ := os.Stat(filepath.Join(dir, r.Name()))
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v", r.Name(), st.Mode().Perm())
		}
		// Sealed: no finding's text is readable in a run.
		b, _ := os.ReadFile(filepath.Join(dir, r.Name()))
		for _, text := range []string{"finding", "terraform", "f0.tf", "CKV_AWS_122", `"q"`} {
			if bytes.Contains(b, []byte(text)) {
				t.Fatalf("%s holds %q in the clear", r.Name(), text)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("directory left after Close: %v", err)
	}
	if err := s.Each(func(*Finding) error { return nil }); err == nil {
		t.Fatal("read after Close succeeded")
	}
}

func TestStoreDropRewriteFilter(t *testing.T) {
	for _, budget := range []int64{0, 1} {
		t.Run(fmt.Sprint("budget ", budget), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			fs, seqs := spillFindings(rng, 10, 6)
			s := NewStore(StoreOptions{Budget: budget, Dir: t.TempDir()})
			defer s.Close()
			for i := range fs {
				if err := s.Add(&fs[i], seqs[i]); err != nil {
					t.Fatal(err)
				}
			}
			// Drop every third finding.
			var keptF []Finding
			var keptS []Seq
			for i := range fs {
				if i%3 == 0 {
					s.Drop(seqs[i], fs[i].Status)
					s.Drop(seqs[i], fs[i].Status) // twice counts once
					continue
				}
				keptF, keptS = append(keptF, fs[i]), append(keptS, seqs[i])
			}
			want := wantOrder(keptF, keptS)
			if s.Counts() != Summarize(want, 0) || s.Len() != len(want) {
				t.Fatalf("after Drop: counts %+v len %d, want %+v %d", s.Counts(), s.Len(), Summarize(want, 0), len(want))
			}
			// A rewrite that changes a sort field does not change the order.
			s.Rewrite(func(f *Finding) { f.Location.File = "zz-" + f.Location.File; f.Severity = Low })
			dropped, err := s.Filter(func(f *Finding) bool { return f.Status != Fail })
			if err != nil {
				t.Fatal(err)
			}
			var final []Finding
			for _, f := range want {
				f.Location.File = "zz-" + f.Location.File
				f.Severity = Low
				if f.Status != Fail {
					final = append(final, f)
				}
			}
			if dropped != len(want)-len(final) {
				t.Fatalf("Filter dropped %d, want %d", dropped, len(want)-len(final))
			}
			if s.Counts() != Summarize(final, 0) || s.Len() != len(final) {
				t.Fatalf("after Filter: counts %+v, want %+v", s.Counts(), Summarize(final, 0))
			}
			sameFindings(t, readAll(t, s), final)
			sameFindings(t, readAll(t, s), final) // transforms applied once per read, not compounded
			if err := s.Add(&fs[0], SeqOf(99, 0)); err == nil {
				t.Fatal("Add after a read succeeded")
			}
		})
	}
}

// TestResultStreamed checks the Result accessors on a streamed result
// against the same findings held in a slice.
func TestResultStreamed(t *testing.T) {
	fs, seqs := spillFindings(rand.New(rand.NewPCG(9, 10)), 6, 6)
	want := wantOrder(fs, seqs)

	plain := &Result{Findings: slices.Clone(want)}
	plain.Finalize()
	streamed := &Result{}
	s := NewStore(StoreOptions{Budget: 1, Dir: t.TempDir()})
	for i := range fs {
		if err := s.Add(&fs[i], seqs[i]); err != nil {
			t.Fatal(err)
		}
	}
	streamed.UseStore(s)
	defer streamed.Close()
	streamed.Finalize()
	if !streamed.Streamed() || plain.Streamed() {
		t.Fatal("Streamed")
	}
	if streamed.Summary != plain.Summary || streamed.FindingCount() != plain.FindingCount() {
		t.Fatalf("summary %+v, want %+v", streamed.Summary, plain.Summary)
	}
	for _, r := range []*Result{plain, streamed} {
		r.Rewrite(func(f *Finding) { f.Severity = Medium })
		r.Filter(func(f *Finding) bool { return f.Status != Pass })
		r.Finalize()
	}
	if streamed.Summary != plain.Summary {
		t.Fatalf("after Filter: summary %+v, want %+v", streamed.Summary, plain.Summary)
	}
	anyFail := func(f *Finding) bool { return f.Status == Fail }
	a, err := streamed.AnyFinding(anyFail)
	b, _ := plain.AnyFinding(anyFail)
	if err != nil || a != b {
		t.Fatalf("AnyFinding %v %v, want %v", a, err, b)
	}
	if err := streamed.Materialize(); err != nil {
		t.Fatal(err)
	}
	if streamed.Streamed() {
		t.Fatal("still streamed after Materialize")
	}
	sameFindings(t, streamed.Findings, plain.Findings)
}

func TestStoreReadErrorIsKept(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(StoreOptions{Budget: 1, Dir: dir})
	defer s.Close()
	fs, seqs := spillFindings(rand.New(rand.NewPCG(11, 12)), 3, 3)
	for i := range fs {
		if err := s.Add(&fs[i], seqs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(s.runs[0], []byte("{not json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Each(func(*Finding) error { return nil }); err == nil {
		t.Fatal("a corrupt run read without error")
	}
	if err := s.Each(func(*Finding) error { return nil }); err == nil {
		t.Fatal("the read error was not kept")
	}
}

func TestSortKeyAgreesWithLess(t *testing.T) {
	fs, _ := spillFindings(rand.New(rand.NewPCG(13, 14)), 10, 10)
	for i := range fs {
		for j := range fs {
			a, b := keyOf(&fs[i]), keyOf(&fs[j])
			got := compareEntries(&a, 0, &b, 0) < 0
			if got != Less(fs[i], fs[j]) {
				t.Fatalf("compare and Less disagree on %d, %d", i, j)
			}
		}
	}
}

// Findings read back whole from disk share what they repeat (a control's
// lists, a file's path), as the findings the surfaces made did, and are
// otherwise the same findings.
func TestMaterializeShares(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	fs, seqs := spillFindings(rng, 20, 8)
	s := NewStore(StoreOptions{Budget: 1, Dir: t.TempDir()})
	for i := range fs {
		if err := s.Add(&fs[i], seqs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if s.Runs() == 0 {
		t.Fatal("nothing spilled")
	}
	var r Result
	r.UseStore(s)
	if err := r.Materialize(); err != nil {
		t.Fatal(err)
	}
	sameFindings(t, r.Findings, wantOrder(fs, seqs))
	first := map[string]*Finding{}
	byFile := map[string]string{}
	for i := range r.Findings {
		f := &r.Findings[i]
		if p := first[f.ControlID]; p == nil {
			first[f.ControlID] = f
		} else if &p.Frameworks[0] != &f.Frameworks[0] || &p.Aliases[0] != &f.Aliases[0] {
			t.Fatalf("finding %d of %s does not share its control's lists", i, f.ControlID)
		}
		if prev, ok := byFile[f.Location.File]; ok && unsafe.StringData(prev) != unsafe.StringData(f.Location.File) {
			t.Fatalf("finding %d does not share its file's path", i)
		}
		byFile[f.Location.File] = f.Location.File
	}
}
