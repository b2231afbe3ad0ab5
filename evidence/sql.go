package evidence

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"               // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// sqlStore is the Store over database/sql; dialect holds what differs.
type sqlStore struct {
	db       *sql.DB
	d        dialect
	location string
	// now is the clock for recorded_at and pruned_at.
	now func() time.Time
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func openSQL(ctx context.Context, d dialect, dsn, location string) (*sqlStore, error) {
	db, err := sql.Open(d.driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("opening evidence store %s: %w", location, err)
	}
	s := &sqlStore{db: db, d: d, location: location, now: time.Now}
	if err := s.connect(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to evidence store %s: %w", location, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrating evidence store %s: %w", location, err)
	}
	return s, nil
}

// connect opens the first connection. SQLite answers SQLITE_BUSY without
// waiting when several processes switch a new database to WAL at once (the
// busy timeout does not cover journal-mode changes), so that is retried for
// up to the busy timeout.
func (s *sqlStore) connect(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := s.db.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || s.d.name != sqliteDialect.name || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *sqlStore) Location() string { return s.location }
func (s *sqlStore) Close() error     { return s.db.Close() }

// writeTx runs fn in a transaction holding the store's write lock.
func (s *sqlStore) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning a write transaction: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if s.d.lockStmt != "" {
		if _, err := tx.ExecContext(ctx, s.d.lockStmt); err != nil {
			return fmt.Errorf("locking the chain head: %w", err)
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// readTx runs fn on a read-only snapshot of the store, so that a long read
// (verify, export) is not confused by concurrent recording or pruning.
func (s *sqlStore) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	opts := s.d.snapshot
	tx, err := s.db.BeginTx(ctx, &opts)
	if err != nil {
		return fmt.Errorf("beginning a read transaction: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	return fn(tx)
}

// head returns the sequence number and hash the next run chains to.
func (s *sqlStore) head(ctx context.Context, q querier) (int64, string, error) {
	var seq int64
	var hash string
	err := q.QueryRowContext(ctx, "SELECT seq, hash FROM runs ORDER BY seq DESC LIMIT 1").Scan(&seq, &hash)
	if err == nil {
		return seq, hash, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, "", fmt.Errorf("reading the chain head: %w", err)
	}
	cp, err := s.checkpoint(ctx, q)
	if err != nil {
		return 0, "", err
	}
	if cp != nil {
		return cp.Seq, cp.Hash, nil
	}
	return 0, GenesisHash, nil
}

const runColumns = "seq, started_at, recorded_at, command, paths, accounts, regions, tool_name, tool_version, format_version, " +
	"n_fail, n_pass, n_unknown, n_suppressed, n_errors, n_findings, prev_hash, hash"

const findingColumns = "run_seq, idx, control_id, status, severity, surface, resource_type, address, name, arn, account, region, " +
	"resource_path, stack, file, start_line, end_line, attribute, observed, expected, resolution, message, evidence, " +
	"suppression_source, suppression_reason, suppression_expires, replacement"

const errorColumns = "run_seq, idx, file, line, region, account, message"

// findingBatch rows go in one INSERT: 27 columns x 400 rows stays under
// SQLite's 32766 and PostgreSQL's 65535 parameter limits.
const findingBatch = 400

func (s *sqlStore) Record(ctx context.Context, res *finding.Result) (RunInfo, error) {
	run, err := NewRun(res, s.now())
	if err != nil {
		return RunInfo{}, err
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		seq, prev, err := s.head(ctx, tx)
		if err != nil {
			return err
		}
		run.Seq, run.PrevHash = seq+1, prev
		run.RecordedAt = s.now().UTC().Truncate(time.Second)
		if run.Hash, err = run.ComputeHash(); err != nil {
			return err
		}
		return s.insertRun(ctx, tx, run)
	})
	if err != nil {
		return RunInfo{}, fmt.Errorf("recording a run in %s: %w", s.location, err)
	}
	return run.RunInfo, nil
}

func jsonList(xs []string) string {
	b, _ := json.Marshal(nonNil(xs)) // a []string always marshals
	return string(b)
}

func (s *sqlStore) insertRun(ctx context.Context, tx *sql.Tx, r *Run) error {
	_, err := tx.ExecContext(ctx, s.d.rebind("INSERT INTO runs ("+runColumns+") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
		r.Seq, r.StartedAt.Format(TimeLayout), r.RecordedAt.Format(TimeLayout), r.Command,
		jsonList(r.Paths), jsonList(r.Accounts), jsonList(r.Regions), r.ToolName, r.ToolVersion, r.FormatVersion,
		r.Summary.Fail, r.Summary.Pass, r.Summary.Unknown, r.Summary.Suppressed, r.Summary.Errors, len(r.FindingList),
		r.PrevHash, r.Hash)
	if err != nil {
		return fmt.Errorf("inserting run %d: %w", r.Seq, err)
	}
	const nf = 27
	for start := 0; start < len(r.FindingList); start += findingBatch {
		end := min(start+findingBatch, len(r.FindingList))
		args := make([]any, 0, (end-start)*nf)
		for i := start; i < end; i++ {
			f := r.FindingList[i]
			var observed any
			if f.Observed != nil {
				observed = *f.Observed
			}
			replacement := 0
			if f.Replacement {
				replacement = 1
			}
			args = append(args, r.Seq, i, f.ControlID, f.Status, f.Severity, f.Surface, f.ResourceType, f.Address,
				f.Name, f.ARN, f.Account, f.Region, f.ResourcePath, f.Stack, f.File, f.StartLine, f.EndLine,
				f.Attribute, observed, f.Expected, f.Resolution, f.Message, jsonList(f.Evidence),
				f.SuppressionSource, f.SuppressionReason, f.SuppressionExpires, replacement)
		}
		q := "INSERT INTO findings (" + findingColumns + ") VALUES " + placeholders(end-start, nf)
		if _, err := tx.ExecContext(ctx, s.d.rebind(q), args...); err != nil {
			return fmt.Errorf("inserting findings of run %d: %w", r.Seq, err)
		}
	}
	if len(r.Errors) > 0 {
		args := make([]any, 0, len(r.Errors)*7)
		for i, e := range r.Errors {
			args = append(args, r.Seq, i, e.File, e.Line, e.Region, e.Account, e.Message)
		}
		q := "INSERT INTO run_errors (" + errorColumns + ") VALUES " + placeholders(len(r.Errors), 7)
		if _, err := tx.ExecContext(ctx, s.d.rebind(q), args...); err != nil {
			return fmt.Errorf("inserting errors of run %d: %w", r.Seq, err)
		}
	}
	return nil
}

// placeholders returns "(?,?),(?,?)" for rows x cols.
func placeholders(rows, cols int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(row+",", rows), ",")
}

func (s *sqlStore) Runs(ctx context.Context, q RunQuery) ([]RunInfo, error) {
	return s.runs(ctx, s.db, q)
}

func (s *sqlStore) runs(ctx context.Context, qr querier, q RunQuery) ([]RunInfo, error) {
	var where []string
	var args []any
	if !q.From.IsZero() {
		where, args = append(where, "started_at >= ?"), append(args, q.From.UTC().Format(TimeLayout))
	}
	if !q.To.IsZero() {
		where, args = append(where, "started_at < ?"), append(args, q.To.UTC().Format(TimeLayout))
	}
	if q.MinSeq != 0 {
		where, args = append(where, "seq >= ?"), append(args, q.MinSeq)
	}
	if q.MaxSeq != 0 {
		where, args = append(where, "seq <= ?"), append(args, q.MaxSeq)
	}
	query := "SELECT " + runColumns + " FROM runs"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY seq"
	if q.Desc {
		query += " DESC"
	}
	if q.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := qr.QueryContext(ctx, s.d.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("listing runs: %w", err)
	}
	defer rows.Close()
	var out []RunInfo
	for rows.Next() {
		ri, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ri)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing runs: %w", err)
	}
	return out, nil
}

func scanRun(rows *sql.Rows) (RunInfo, error) {
	var r RunInfo
	var started, recorded, paths, accounts, regions string
	var n int64
	err := rows.Scan(&r.Seq, &started, &recorded, &r.Command, &paths, &accounts, &regions, &r.ToolName, &r.ToolVersion,
		&r.FormatVersion, &r.Summary.Fail, &r.Summary.Pass, &r.Summary.Unknown, &r.Summary.Suppressed, &r.Summary.Errors,
		&n, &r.PrevHash, &r.Hash)
	if err != nil {
		return r, fmt.Errorf("reading a run row: %w", err)
	}
	r.Findings = int(n)
	if r.StartedAt, err = time.Parse(TimeLayout, started); err != nil {
		return r, fmt.Errorf("run %d: started_at %q: %w", r.Seq, started, err)
	}
	if r.RecordedAt, err = time.Parse(TimeLayout, recorded); err != nil {
		return r, fmt.Errorf("run %d: recorded_at %q: %w", r.Seq, recorded, err)
	}
	for _, l := range []struct {
		text string
		dst  *[]string
	}{{paths, &r.Paths}, {accounts, &r.Accounts}, {regions, &r.Regions}} {
		if err := json.Unmarshal([]byte(l.text), l.dst); err != nil {
			return r, fmt.Errorf("run %d: scope list %q: %w", r.Seq, l.text, err)
		}
		*l.dst = nonNil(*l.dst)
	}
	return r, nil
}

func (s *sqlStore) Run(ctx context.Context, seq int64) (*Run, error) {
	infos, err := s.runs(ctx, s.db, RunQuery{MinSeq: seq, MaxSeq: seq})
	if err != nil {
		return nil, err
	}
	if len(infos) == 0 || seq <= 0 {
		return nil, fmt.Errorf("run %d: %w", seq, ErrNoRun)
	}
	return s.loadRun(ctx, s.db, infos[0])
}

// loadRun reads a run's findings and errors.
func (s *sqlStore) loadRun(ctx context.Context, q querier, info RunInfo) (*Run, error) {
	r := &Run{RunInfo: info, FindingList: make([]Finding, 0, info.Findings), Errors: []model.Error{}}
	rows, err := q.QueryContext(ctx, s.d.rebind("SELECT "+findingColumns+" FROM findings WHERE run_seq = ? ORDER BY idx"), info.Seq)
	if err != nil {
		return nil, fmt.Errorf("reading findings of run %d: %w", info.Seq, err)
	}
	defer rows.Close()
	for rows.Next() {
		var f Finding
		var runSeq, idx, replacement int64
		var observed sql.NullString
		var evidence string
		if err := rows.Scan(&runSeq, &idx, &f.ControlID, &f.Status, &f.Severity, &f.Surface, &f.ResourceType, &f.Address,
			&f.Name, &f.ARN, &f.Account, &f.Region, &f.ResourcePath, &f.Stack, &f.File, &f.StartLine, &f.EndLine,
			&f.Attribute, &observed, &f.Expected, &f.Resolution, &f.Message, &evidence,
			&f.SuppressionSource, &f.SuppressionReason, &f.SuppressionExpires, &replacement); err != nil {
			return nil, fmt.Errorf("reading a finding of run %d: %w", info.Seq, err)
		}
		if observed.Valid {
			f.Observed = &observed.String
		}
		if err := json.Unmarshal([]byte(evidence), &f.Evidence); err != nil {
			return nil, fmt.Errorf("run %d finding %d: evidence %q: %w", info.Seq, idx, evidence, err)
		}
		f.Evidence = nonNil(f.Evidence)
		f.Replacement = replacement != 0
		r.FindingList = append(r.FindingList, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading findings of run %d: %w", info.Seq, err)
	}
	erows, err := q.QueryContext(ctx, s.d.rebind("SELECT "+errorColumns+" FROM run_errors WHERE run_seq = ? ORDER BY idx"), info.Seq)
	if err != nil {
		return nil, fmt.Errorf("reading errors of run %d: %w", info.Seq, err)
	}
	defer erows.Close()
	for erows.Next() {
		var e model.Error
		var runSeq, idx, line int64
		if err := erows.Scan(&runSeq, &idx, &e.File, &line, &e.Region, &e.Account, &e.Message); err != nil {
			return nil, fmt.Errorf("reading an error of run %d: %w", info.Seq, err)
		}
		e.Line = int(line)
		r.Errors = append(r.Errors, e)
	}
	if err := erows.Err(); err != nil {
		return nil, fmt.Errorf("reading errors of run %d: %w", info.Seq, err)
	}
	return r, nil
}

func (s *sqlStore) Each(ctx context.Context, q RunQuery, fn func(*Run) error) error {
	return s.readTx(ctx, func(tx *sql.Tx) error { return s.each(ctx, tx, q, fn) })
}

func (s *sqlStore) each(ctx context.Context, qr querier, q RunQuery, fn func(*Run) error) error {
	infos, err := s.runs(ctx, qr, q)
	if err != nil {
		return err
	}
	for _, info := range infos {
		r, err := s.loadRun(ctx, qr, info)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (s *sqlStore) Checkpoint(ctx context.Context) (*Checkpoint, error) {
	return s.checkpoint(ctx, s.db)
}

func (s *sqlStore) checkpoint(ctx context.Context, q querier) (*Checkpoint, error) {
	var cp Checkpoint
	var prunedAt string
	err := q.QueryRowContext(ctx, "SELECT seq, hash, pruned_at, pruned_runs, public_key, signature FROM checkpoint WHERE id = 1").
		Scan(&cp.Seq, &cp.Hash, &prunedAt, &cp.PrunedRuns, &cp.PublicKey, &cp.Signature)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the checkpoint: %w", err)
	}
	if cp.PrunedAt, err = time.Parse(TimeLayout, prunedAt); err != nil {
		return nil, fmt.Errorf("checkpoint pruned_at %q: %w", prunedAt, err)
	}
	return &cp, nil
}

func (s *sqlStore) Verify(ctx context.Context) (rep *VerifyReport, err error) {
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		rep, err = s.verify(ctx, tx)
		return err
	})
	return rep, err
}

func (s *sqlStore) verify(ctx context.Context, q querier) (*VerifyReport, error) {
	cp, err := s.checkpoint(ctx, q)
	if err != nil {
		return nil, err
	}
	return verifyChain(cp, func(fn func(*Run) error) error { return s.each(ctx, q, RunQuery{}, fn) })
}

func (s *sqlStore) Prune(ctx context.Context, before time.Time) (PruneResult, error) {
	var out PruneResult
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		rep, err := s.verify(ctx, tx)
		if err != nil {
			return err
		}
		if !rep.OK {
			return fmt.Errorf("refusing to prune a chain that does not verify: %s", rep.Problem)
		}
		// The pruned runs are a prefix of the chain: every run up to the
		// first one started at or after `before`.
		var firstKept sql.NullInt64
		if err := tx.QueryRowContext(ctx, s.d.rebind("SELECT MIN(seq) FROM runs WHERE started_at >= ?"),
			before.UTC().Format(TimeLayout)).Scan(&firstKept); err != nil {
			return fmt.Errorf("finding the runs to prune: %w", err)
		}
		prev, err := s.checkpoint(ctx, tx)
		if err != nil {
			return err
		}
		var prunedSeq int64
		if prev != nil {
			prunedSeq = prev.Seq
		}
		q := RunQuery{Desc: true, Limit: 1}
		if firstKept.Valid {
			if firstKept.Int64-1 <= prunedSeq {
				out.Checkpoint = prev // nothing older than `before` is left
				return nil
			}
			q.MaxSeq = firstKept.Int64 - 1
		}
		infos, err := s.runs(ctx, tx, q)
		if err != nil {
			return err
		}
		if len(infos) == 0 {
			out.Checkpoint = prev
			return nil
		}
		head := infos[0]
		res, err := tx.ExecContext(ctx, s.d.rebind("DELETE FROM runs WHERE seq <= ?"), head.Seq)
		if err != nil {
			return fmt.Errorf("deleting runs up to %d: %w", head.Seq, err)
		}
		out.Removed, _ = res.RowsAffected()
		total := out.Removed
		if prev != nil {
			total += prev.PrunedRuns
		}
		cp := &Checkpoint{Seq: head.Seq, Hash: head.Hash, PrunedAt: s.now().UTC().Truncate(time.Second), PrunedRuns: total}
		if _, err := tx.ExecContext(ctx, "DELETE FROM checkpoint"); err != nil {
			return fmt.Errorf("replacing the checkpoint: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind("INSERT INTO checkpoint (id, seq, hash, pruned_at, pruned_runs) VALUES (1, ?, ?, ?, ?)"),
			cp.Seq, cp.Hash, cp.PrunedAt.Format(TimeLayout), cp.PrunedRuns); err != nil {
			return fmt.Errorf("writing the checkpoint: %w", err)
		}
		out.Checkpoint = cp
		return nil
	})
	if err != nil {
		return PruneResult{}, fmt.Errorf("pruning %s: %w", s.location, err)
	}
	return out, nil
}

func (s *sqlStore) SignCheckpoint(ctx context.Context, cp *Checkpoint) error {
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.d.rebind("UPDATE checkpoint SET public_key = ?, signature = ? WHERE id = 1 AND seq = ? AND hash = ?"),
			cp.PublicKey, cp.Signature, cp.Seq, cp.Hash)
		if err != nil {
			return fmt.Errorf("storing the checkpoint's signature: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("storing the checkpoint's signature: the checkpoint is no longer run %d", cp.Seq)
		}
		return nil
	})
}

func (s *sqlStore) AddSignature(ctx context.Context, sig Signature) error {
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.d.rebind("DELETE FROM signatures WHERE seq = ? AND public_key = ?"), sig.Seq, sig.PublicKey)
		if err != nil {
			return fmt.Errorf("replacing a signature: %w", err)
		}
		_, err = tx.ExecContext(ctx, s.d.rebind("INSERT INTO signatures (seq, hash, public_key, signature, signed_at) VALUES (?, ?, ?, ?, ?)"),
			sig.Seq, sig.Hash, sig.PublicKey, sig.Signature, sig.SignedAt.UTC().Format(TimeLayout))
		if err != nil {
			return fmt.Errorf("storing the signature of run %d: %w", sig.Seq, err)
		}
		return nil
	})
}

func (s *sqlStore) Signatures(ctx context.Context) ([]Signature, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT seq, hash, public_key, signature, signed_at FROM signatures ORDER BY seq DESC, signed_at DESC")
	if err != nil {
		return nil, fmt.Errorf("listing signatures: %w", err)
	}
	defer rows.Close()
	var out []Signature
	for rows.Next() {
		var sig Signature
		var at string
		if err := rows.Scan(&sig.Seq, &sig.Hash, &sig.PublicKey, &sig.Signature, &at); err != nil {
			return nil, fmt.Errorf("reading a signature: %w", err)
		}
		if sig.SignedAt, err = time.Parse(TimeLayout, at); err != nil {
			return nil, fmt.Errorf("signature of run %d: signed_at %q: %w", sig.Seq, at, err)
		}
		out = append(out, sig)
	}
	return out, rows.Err()
}
