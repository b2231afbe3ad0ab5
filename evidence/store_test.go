package evidence

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// TestStores runs the same suite against SQLite and a real PostgreSQL server.
func TestStores(t *testing.T) {
	suite := []struct {
		name string
		run  func(t *testing.T, location func(t *testing.T) string)
	}{
		{"RecordAndRead", testRecordAndRead},
		{"Migrations", testMigrations},
		{"Tamper", testTamper},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Prune", testPrune},
		{"Signatures", testSignatures},
		{"CheckpointSignatures", testCheckpointSignatures},
		{"CrashMidWrite", testCrashMidWrite},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			location := b.start(t)
			for _, c := range suite {
				t.Run(c.name, func(t *testing.T) { c.run(t, location) })
			}
		})
	}
}

func testRecordAndRead(t *testing.T, location func(t *testing.T) string) {
	ctx := context.Background()
	st := openStore(t, location(t))
	first := result(day(0),
		resource{"aws_sagemaker_notebook_instance.a", finding.Pass},
		resource{"aws_sagemaker_notebook_instance.b", finding.Fail},
		resource{"aws_sagemaker_notebook_instance.c", finding.Unknown},
		resource{"aws_sagemaker_notebook_instance.d", finding.Suppressed},
	)
	first.Findings[0].Evidence = []string{"route 0.0.0.0/0 -> nat-1", "ünïcode ✓"}
	first.Findings[1].Replacement = true
	first.Errors = []model.Error{{File: "infra/broken.tf", Line: 7, Message: "unexpected \"}\""}, {Account: "111122223333", Region: "eu-west-1", Message: "AccessDenied"}}
	first.Finalize()
	ri1, err := st.Record(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	ri2, err := st.Record(ctx, result(day(1), resource{"aws_sagemaker_notebook_instance.a", finding.Pass}))
	if err != nil {
		t.Fatal(err)
	}
	if ri1.Seq != 1 || ri2.Seq != 2 || ri1.PrevHash != GenesisHash || ri2.PrevHash != ri1.Hash || ri1.Hash == ri2.Hash {
		t.Fatalf("chain: run1 %d %s<-%s, run2 %d %s<-%s", ri1.Seq, ri1.Hash, ri1.PrevHash, ri2.Seq, ri2.Hash, ri2.PrevHash)
	}
	runs, err := st.Runs(ctx, RunQuery{})
	if err != nil || len(runs) != 2 {
		t.Fatalf("Runs = %d, %v", len(runs), err)
	}
	if got := runs[0]; got.Command != "scan" || !got.StartedAt.Equal(day(0)) || got.Summary != first.Summary || got.Findings != 4 ||
		strings.Join(got.Paths, ",") != "infra/" || got.ToolVersion != "0.1.0-test" {
		t.Errorf("run 1 info = %+v", got)
	}
	desc, _ := st.Runs(ctx, RunQuery{Desc: true, Limit: 1})
	if len(desc) != 1 || desc[0].Seq != 2 {
		t.Errorf("newest run = %+v", desc)
	}
	window, _ := st.Runs(ctx, RunQuery{From: day(1), To: day(2)})
	if len(window) != 1 || window[0].Seq != 2 {
		t.Errorf("runs in [day1, day2) = %+v", window)
	}
	run, err := st.Run(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	back := run.Result()
	if len(back.Findings) != len(first.Findings) {
		t.Fatalf("findings: got %d, want %d", len(back.Findings), len(first.Findings))
	}
	for i, want := range first.Findings {
		got := back.Findings[i]
		want.Frameworks, want.Aliases = []finding.Framework{}, []string{}
		if fmt.Sprintf("%+v|%v|%v|%v", got.Resource, got.Location, deref(got.Observed), got.Suppression) !=
			fmt.Sprintf("%+v|%v|%v|%v", want.Resource, want.Location, deref(want.Observed), want.Suppression) ||
			got.Status != want.Status || got.Message != want.Message || got.Replacement != want.Replacement ||
			strings.Join(got.Evidence, "\n") != strings.Join(want.Evidence, "\n") || got.Key() != want.Key() ||
			(got.Observed == nil) != (want.Observed == nil) {
			t.Errorf("finding %d round trip:\n got %+v\nwant %+v", i, got, want)
		}
	}
	if len(back.Errors) != 2 || back.Errors[0] != first.Errors[0] || back.Errors[1] != first.Errors[1] {
		t.Errorf("errors round trip: %+v", back.Errors)
	}
	if _, err := st.Run(ctx, 3); !errors.Is(err, ErrNoRun) {
		t.Errorf("Run(3) error = %v, want ErrNoRun", err)
	}
	rep, err := st.Verify(ctx)
	if err != nil || !rep.OK || rep.Runs != 2 || rep.HeadSeq != 2 || rep.HeadHash != ri2.Hash {
		t.Errorf("Verify = %+v, %v", rep, err)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func testMigrations(t *testing.T, location func(t *testing.T) string) {
	ctx := context.Background()
	loc := location(t)
	st := openStore(t, loc)
	if _, err := st.Record(ctx, result(day(0), resource{"a", finding.Pass})); err != nil {
		t.Fatal(err)
	}
	st.Close()
	// Reopening applies nothing and keeps the data.
	st = openStore(t, loc)
	all, err := st.d.migrations()
	if err != nil {
		t.Fatal(err)
	}
	latest := all[len(all)-1].version
	v, err := SchemaVersion(ctx, st)
	if err != nil || v != latest {
		t.Fatalf("schema version = %d, %v; want %d", v, err, latest)
	}
	var n int
	if err := st.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != len(all) {
		t.Fatalf("schema_migrations rows = %d, %v", n, err)
	}
	if runs, _ := st.Runs(ctx, RunQuery{}); len(runs) != 1 {
		t.Fatalf("runs after reopen = %d", len(runs))
	}
	// A store from a newer sagefence is refused, not silently used.
	if _, err := st.db.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 'x')"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := Open(ctx, loc); err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Fatalf("opening a newer store: err = %v", err)
	}
}

// history records five daily runs and returns the store.
func history(t *testing.T, loc string) *sqlStore {
	t.Helper()
	st := openStore(t, loc)
	for i := range 5 {
		st.now = func() time.Time { return day(i).Add(time.Minute) }
		if _, err := st.Record(context.Background(), result(day(i),
			resource{"aws_sagemaker_notebook_instance.a", finding.Pass},
			resource{"aws_sagemaker_notebook_instance.b", []finding.Status{finding.Pass, finding.Fail}[i%2]})); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func testTamper(t *testing.T, location func(t *testing.T) string) {
	ctx := context.Background()
	cases := []struct {
		name string
		// prune first (before day 2: runs 1 and 2 go to the checkpoint)
		prune   bool
		tamper  []string
		wantSeq int64
		want    string
	}{
		{name: "edit a finding's status", tamper: []string{"UPDATE findings SET status = 'pass' WHERE run_seq = 2 AND idx = 1"}, wantSeq: 2, want: "run 2 was altered"},
		{name: "edit an observed value", tamper: []string{"UPDATE findings SET observed = 'Disabled' WHERE run_seq = 4 AND idx = 1"}, wantSeq: 4, want: "run 4 was altered"},
		{name: "delete a finding", tamper: []string{"DELETE FROM findings WHERE run_seq = 3 AND idx = 0"}, wantSeq: 3, want: "run 3 was altered"},
		{name: "edit a run's time", tamper: []string{"UPDATE runs SET started_at = '2025-12-31T00:00:00Z' WHERE seq = 3"}, wantSeq: 3, want: "run 3 was altered"},
		{name: "edit a summary", tamper: []string{"UPDATE runs SET n_fail = 0 WHERE seq = 2"}, wantSeq: 2, want: "run 2 was altered"},
		{name: "rewrite a stored hash", tamper: []string{"UPDATE runs SET hash = '" + strings.Repeat("ab", 32) + "' WHERE seq = 3"}, wantSeq: 3, want: "run 3 was altered"},
		{name: "delete a run", tamper: []string{"DELETE FROM runs WHERE seq = 3"}, wantSeq: 3, want: "run 3 is missing"},
		{name: "delete two runs", tamper: []string{"DELETE FROM runs WHERE seq IN (2, 3)"}, wantSeq: 2, want: "runs 2 to 3 are missing"},
		{name: "delete the first run", tamper: []string{"DELETE FROM runs WHERE seq = 1"}, wantSeq: 1, want: "run 1 is missing"},
		{name: "reorder runs", tamper: []string{
			"UPDATE runs SET seq = -2 WHERE seq = 2", "UPDATE runs SET seq = 2 WHERE seq = 3", "UPDATE runs SET seq = 3 WHERE seq = -2",
		}, wantSeq: 2, want: "run 2 is not linked to run 1"},
		{name: "tamper the checkpoint hash", prune: true, tamper: []string{"UPDATE checkpoint SET hash = '" + strings.Repeat("cd", 32) + "'"},
			wantSeq: 3, want: "run 3 is not linked to the prune checkpoint"},
		{name: "tamper the checkpoint sequence", prune: true, tamper: []string{"UPDATE checkpoint SET seq = 1"}, wantSeq: 2, want: "run 2 is missing"},
		{name: "delete the checkpoint", prune: true, tamper: []string{"DELETE FROM checkpoint"}, wantSeq: 1, want: "runs 1 to 2 are missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := history(t, location(t))
			if c.prune {
				if _, err := st.Prune(ctx, day(2)); err != nil {
					t.Fatal(err)
				}
			}
			if rep, err := st.Verify(ctx); err != nil || !rep.OK {
				t.Fatalf("before tampering: %+v, %v", rep, err)
			}
			for _, q := range c.tamper {
				if _, err := st.db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			rep, err := st.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.FirstBadSeq != c.wantSeq || !strings.Contains(rep.Problem, c.want) {
				t.Fatalf("Verify = ok %v, first bad %d, %q; want run %d, %q", rep.OK, rep.FirstBadSeq, rep.Problem, c.wantSeq, c.want)
			}
			// A tampered chain is neither pruned nor signed.
			if _, err := st.Prune(ctx, day(10)); err == nil || !strings.Contains(err.Error(), "does not verify") {
				t.Errorf("Prune on a tampered chain: %v", err)
			}
			_, priv, _ := ed25519.GenerateKey(nil)
			if _, err := SignHead(ctx, st, priv, day(10)); err == nil {
				t.Errorf("SignHead on a tampered chain succeeded")
			}
		})
	}
}

func testConcurrentWriters(t *testing.T, location func(t *testing.T) string) {
	ctx := context.Background()
	loc := location(t)
	const writers, each = 6, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each writer has its own connection pool, like a separate process.
			st, err := Open(ctx, loc)
			if err != nil {
				errs <- err
				return
			}
			defer st.Close()
			for i := range each {
				res := result(day(i), resource{fmt.Sprintf("nb.w%d", w), finding.Pass}, resource{fmt.Sprintf("nb.w%d-%d", w, i), finding.Fail})
				if _, err := st.Record(ctx, res); err != nil {
					errs <- err
				}
			}
		}()
	}
	// A reader verifying while they write always sees a consistent chain.
	reader := openStore(t, loc)
	stop := make(chan struct{})
	verified := make(chan int)
	go func() {
		n := 0
		defer func() { verified <- n }()
		for {
			rep, err := reader.Verify(ctx)
			if err != nil || !rep.OK {
				errs <- fmt.Errorf("verify during writes: %+v, %v", rep, err)
				return
			}
			n++
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	wg.Wait()
	close(stop)
	if n := <-verified; n == 0 {
		t.Error("the reader never verified")
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := openStore(t, loc)
	rep, err := st.Verify(ctx)
	if err != nil || !rep.OK || rep.Runs != writers*each || rep.HeadSeq != writers*each {
		t.Fatalf("after concurrent writers: %+v, %v", rep, err)
	}
}

func testPrune(t *testing.T, location func(t *testing.T) string) {
	ctx := context.Background()
	st := history(t, location(t))
	st.now = func() time.Time { return day(30) }
	before, _ := st.Runs(ctx, RunQuery{})
	res, err := st.Prune(ctx, day(2))
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 2 || res.Checkpoint == nil || res.Checkpoint.Seq != 2 || res.Checkpoint.Hash != before[1].Hash || res.Checkpoint.PrunedRuns != 2 {
		t.Fatalf("Prune = %+v %+v", res, res.Checkpoint)
	}
	var findings int
	if err := st.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM findings WHERE run_seq <= 2").Scan(&findings); err != nil || findings != 0 {
		t.Errorf("findings of pruned runs left: %d, %v", findings, err)
	}
	rep, err := st.Verify(ctx)
	if err != nil || !rep.OK || rep.Runs != 3 || rep.Checkpoint == nil || rep.Checkpoint.Seq != 2 {
		t.Fatalf("Verify after prune = %+v, %v", rep, err)
	}
	// Pruning again at the same date removes nothing.
	if res, err := st.Prune(ctx, day(2)); err != nil || res.Removed != 0 || res.Checkpoint.Seq != 2 {
		t.Fatalf("second prune = %+v, %v", res, err)
	}
	// New runs chain on; pruning everything leaves a checkpoint the next run chains to.
	if _, err := st.Record(ctx, result(day(5), resource{"a", finding.Pass})); err != nil {
		t.Fatal(err)
	}
	res, err = st.Prune(ctx, day(100))
	if err != nil || res.Removed != 4 || res.Checkpoint.Seq != 6 || res.Checkpoint.PrunedRuns != 6 {
		t.Fatalf("prune all = %+v, %v", res, err)
	}
	ri, err := st.Record(ctx, result(day(101), resource{"a", finding.Fail}))
	if err != nil || ri.Seq != 7 || ri.PrevHash != res.Checkpoint.Hash {
		t.Fatalf("record after pruning all = %+v, %v", ri, err)
	}
	if rep, err := st.Verify(ctx); err != nil || !rep.OK || rep.Runs != 1 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

func testSignatures(t *testing.T, location func(t *testing.T) string) {
	ctx := context.Background()
	st := history(t, location(t))
	privPEM, pubPEM, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	// base64 forms parse to the same keys.
	if p2, err := ParsePublicKey([]byte(base64.StdEncoding.EncodeToString(pub))); err != nil || !p2.Equal(pub) {
		t.Fatalf("base64 public key: %v", err)
	}
	if k2, err := ParsePrivateKey([]byte(base64.StdEncoding.EncodeToString(priv.Seed()))); err != nil || !k2.Equal(priv) {
		t.Fatalf("base64 seed: %v", err)
	}
	check := func(wantOK bool, want string) *SignatureReport {
		t.Helper()
		rep, err := st.Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sr, err := VerifySignatures(ctx, st, rep, pub)
		if err != nil {
			t.Fatal(err)
		}
		if sr.OK != wantOK || !strings.Contains(sr.Problem, want) {
			t.Fatalf("signature report = ok %v %q; want ok %v %q", sr.OK, sr.Problem, wantOK, want)
		}
		return sr
	}
	check(false, "no signature by this public key")
	sig, err := SignHead(ctx, st, priv, day(6))
	if err != nil || sig.Seq != 5 {
		t.Fatalf("SignHead = %+v, %v", sig, err)
	}
	check(true, "")
	if _, err := st.Record(ctx, result(day(6), resource{"a", finding.Pass})); err != nil {
		t.Fatal(err)
	}
	if sr := check(true, ""); sr.Seq != 5 || sr.Unsigned != 1 {
		t.Fatalf("after one more run: %+v", sr)
	}
	// Another key's signature is not this key's.
	_, other, _ := ed25519.GenerateKey(nil)
	if _, err := SignHead(ctx, st, other, day(7)); err != nil {
		t.Fatal(err)
	}
	check(true, "")
	// Deleting the newest runs (undetectable by the chain alone) breaks the signed head.
	if _, err := SignHead(ctx, st, priv, day(7)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.db.ExecContext(ctx, "DELETE FROM runs WHERE seq >= 5"); err != nil {
		t.Fatal(err)
	}
	if rep, _ := st.Verify(ctx); !rep.OK {
		t.Fatalf("tail deletion is not visible to the chain alone, but Verify said %q", rep.Problem)
	}
	check(false, "runs 5 to 6 were deleted")
	// An altered signature does not verify.
	if _, err := st.db.ExecContext(ctx, st.d.rebind("UPDATE signatures SET hash = ? WHERE seq = 6"), strings.Repeat("0", 64)); err != nil {
		t.Fatal(err)
	}
	check(false, "does not verify with this key")
}

// testCheckpointSignatures: deleting the oldest runs and writing a
// checkpoint in their place passes the chain, but not --pub; a checkpoint
// signed at prune time passes, an altered or other-key one does not.
func testCheckpointSignatures(t *testing.T, location func(t *testing.T) string) {
	ctx := context.Background()
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	check := func(st *sqlStore, wantOK bool, want string) {
		t.Helper()
		rep, err := st.Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK {
			t.Fatalf("the chain alone fails: %s", rep.Problem)
		}
		sr, err := VerifySignatures(ctx, st, rep, pub)
		if err != nil {
			t.Fatal(err)
		}
		if sr.OK != wantOK || !strings.Contains(sr.Problem, want) {
			t.Fatalf("signature report = ok %v %q; want ok %v %q", sr.OK, sr.Problem, wantOK, want)
		}
	}

	// The attack: runs 1 and 2 deleted, a checkpoint forged from run 3's prev_hash.
	forged := history(t, location(t))
	if _, err := SignHead(ctx, forged, key, day(6)); err != nil {
		t.Fatal(err)
	}
	check(forged, true, "")
	r3, err := forged.Run(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := forged.db.ExecContext(ctx, "DELETE FROM runs WHERE seq <= 2"); err != nil {
		t.Fatal(err)
	}
	if _, err := forged.db.ExecContext(ctx, forged.d.rebind("INSERT INTO checkpoint (id, seq, hash, pruned_at, pruned_runs) VALUES (1, 2, ?, ?, 2)"),
		r3.PrevHash, day(6).Format(TimeLayout)); err != nil {
		t.Fatal(err)
	}
	check(forged, false, "is not signed")

	// The legitimate prune with a key.
	st := history(t, location(t))
	if _, err := st.Prune(ctx, day(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := SignHead(ctx, st, key, day(6)); err != nil {
		t.Fatal(err)
	}
	check(st, false, "is not signed")
	if _, err := SignCheckpoint(ctx, st, key); err != nil {
		t.Fatal(err)
	}
	check(st, true, "")
	// An altered checkpoint no longer matches its signature.
	if _, err := st.db.ExecContext(ctx, "UPDATE checkpoint SET pruned_runs = 1"); err != nil {
		t.Fatal(err)
	}
	check(st, false, "does not verify with this key")
	_, other, _ := ed25519.GenerateKey(nil)
	if _, err := SignCheckpoint(ctx, st, other); err != nil {
		t.Fatal(err)
	}
	check(st, false, "signed by another key")
}

// crashEnv names the store a child test process records into until killed.
const crashEnv = "SAGEFENCE_EVIDENCE_CRASH_STORE"

// TestMain turns the test binary into the crash test's writer when crashEnv is set.
func TestMain(m *testing.M) {
	if loc := os.Getenv(crashEnv); loc != "" {
		os.Exit(crashChild(loc))
	}
	os.Exit(m.Run())
}

// crashChild records large runs back to back, printing each sequence number.
func crashChild(loc string) int {
	ctx := context.Background()
	st, err := Open(ctx, loc)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	for i := 0; ; i++ {
		ri, err := st.Record(ctx, bigResult(day(i), crashFindings))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		fmt.Printf("recorded %d\n", ri.Seq)
	}
}

const crashFindings = 5000

func testCrashMidWrite(t *testing.T, location func(t *testing.T) string) {
	ctx := context.Background()
	loc := location(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+loc)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	var stamps []time.Time
	for len(stamps) < 2 && lines.Scan() {
		stamps = append(stamps, time.Now())
	}
	if len(stamps) < 2 {
		cmd.Wait()
		t.Fatalf("child stopped before recording two runs: %s", stderr.String())
	}
	// The child is now inside the third Record: kill it halfway through.
	time.Sleep(stamps[1].Sub(stamps[0]) / 2)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var printed int64 = 2
	for lines.Scan() {
		printed++
	}
	cmd.Wait()
	st := openStore(t, loc)
	rep, err := st.Verify(ctx)
	if err != nil || !rep.OK {
		t.Fatalf("after SIGKILL: %+v, %v", rep, err)
	}
	if rep.HeadSeq < printed || rep.HeadSeq > printed+1 {
		t.Fatalf("head is run %d but the child reported %d recorded runs", rep.HeadSeq, printed)
	}
	var partial int
	if err := st.db.QueryRowContext(ctx, st.d.rebind("SELECT COUNT(*) FROM findings WHERE run_seq > ?"), rep.HeadSeq).Scan(&partial); err != nil || partial != 0 {
		t.Fatalf("findings of an uncommitted run are visible: %d, %v", partial, err)
	}
	runs, _ := st.Runs(ctx, RunQuery{})
	for _, r := range runs {
		if r.Findings != crashFindings {
			t.Errorf("run %d has %d findings, want %d", r.Seq, r.Findings, crashFindings)
		}
	}
	ri, err := st.Record(ctx, result(day(50), resource{"a", finding.Pass}))
	if err != nil || ri.Seq != rep.HeadSeq+1 {
		t.Fatalf("recording after the crash: %+v, %v", ri, err)
	}
	if rep, err := st.Verify(ctx); err != nil || !rep.OK {
		t.Fatalf("final verify: %+v, %v", rep, err)
	}
}
