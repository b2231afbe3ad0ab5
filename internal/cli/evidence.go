package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagefence/sagefence/evidence"
	"github.com/sagefence/sagefence/report"
)

// StoreOptions locate the evidence store (--store, else $SAGEFENCE_STORE,
// else the per-user SQLite file).
type StoreOptions struct {
	Store string
}

func (o *StoreOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.Store, "store", "", "evidence store: a SQLite `PATH` or a postgres:// URL (default $SAGEFENCE_STORE, else the user's data directory)")
}

func (o *StoreOptions) open(ctx context.Context, io *IO) (evidence.Store, error) {
	loc, err := evidence.ResolveLocation(o.Store, io.Getenv)
	if err != nil {
		return nil, usageError{err}
	}
	return evidence.Open(ctx, loc)
}

func newEvidenceCmd(io *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "Work with the recorded history of scans and audits",
		Long: `The evidence store keeps every run recorded with --record: its scope, time, tool version,
findings and errors, each run hash-chained to the one before (see docs/evidence.md).

The store is --store (a SQLite file path or a postgres:// URL), else $SAGEFENCE_STORE, else
the per-user SQLite file ($XDG_DATA_HOME/sagefence/evidence.db or ~/.local/share/sagefence/
evidence.db on Linux; ~/Library/Application Support/sagefence on macOS; %LocalAppData%\sagefence
on Windows).`,
		Example: `  sagefence scan infra/ --record               # record a run
  sagefence evidence list
  sagefence evidence verify                      # recompute the hash chain
  sagefence evidence diff 41 42                  # what regressed, what became compliant
  sagefence evidence export --from 2026-01-01 --to 2026-03-31 --format html -o q1.html`,
	}
	cmd.AddCommand(newEvidenceListCmd(io), newEvidenceShowCmd(io), newEvidenceDiffCmd(io), newEvidenceVerifyCmd(io),
		newEvidenceExportCmd(io), newEvidencePruneCmd(io), newEvidenceKeygenCmd(io), newEvidenceSignCmd(io),
		newEvidenceCloudTrailCmd(io))
	for _, c := range cmd.Commands() {
		c.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	}
	return cmd
}

// storeCommand completes an evidence subcommand that works on the store: it
// adds --store, and its RunE runs check (the flags and arguments that need
// no store, so a mistake opens nothing; nil for none), then run with the
// opened store, which is closed after.
func storeCommand(io *IO, cmd *cobra.Command, check func(args []string) error, run func(ctx context.Context, st evidence.Store, args []string) error) *cobra.Command {
	return storeCommandWith(io, false, cmd, check, run)
}

// storeCommandWith is storeCommand; with existing, the store is opened with
// evidence.OpenExisting (never created), and when there is none run gets a
// nil store and the store's path appended to args.
func storeCommandWith(io *IO, existing bool, cmd *cobra.Command, check func(args []string) error, run func(ctx context.Context, st evidence.Store, args []string) error) *cobra.Command {
	var o StoreOptions
	o.addFlags(cmd)
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if check != nil {
			if err := check(args); err != nil {
				return err
			}
		}
		loc, err := evidence.ResolveLocation(o.Store, io.Getenv)
		if err != nil {
			return usageError{err}
		}
		open := evidence.Open
		if existing {
			open = evidence.OpenExisting
		}
		st, err := open(c.Context(), loc)
		if existing && errors.Is(err, evidence.ErrNoStore) {
			return run(c.Context(), nil, append(args, strings.TrimPrefix(loc, "sqlite://")))
		}
		if err != nil {
			return err
		}
		defer st.Close()
		return run(c.Context(), st, args)
	}
	return cmd
}

func writeJSON(io *IO, v any) error {
	enc := json.NewEncoder(io.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newEvidenceListCmd(io *IO) *cobra.Command {
	var format *dataFormatFlags
	var limit int
	var asJSON bool
	cmd := storeCommand(io, &cobra.Command{
		Use: "list", Short: "List recorded runs, newest first", Args: exactArgs(0),
		Example: "  sagefence evidence list --limit 20\n  sagefence evidence list --format json",
	}, func(args []string) error {
		f, err := format.resolve(io)
		asJSON = f == "json"
		return err
	}, func(ctx context.Context, st evidence.Store, args []string) error {
		runs, err := st.Runs(ctx, evidence.RunQuery{Desc: true, Limit: limit})
		if err != nil {
			return err
		}
		if asJSON {
			if runs == nil {
				runs = []evidence.RunInfo{}
			}
			return writeJSON(io, runs)
		}
		tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RUN\tTIME\tCOMMAND\tSCOPE\tFAIL\tPASS\tUNKNOWN\tSUPPRESSED\tERRORS\tHASH")
		for _, r := range runs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", r.Seq, r.StartedAt.Format(evidence.TimeLayout), r.Command,
				scopeText(r), r.Summary.Fail, r.Summary.Pass, r.Summary.Unknown, r.Summary.Suppressed, r.Summary.Errors, r.Hash[:12])
		}
		return tw.Flush()
	})
	format = addDataFormat(cmd, "", true, "table", "json")
	cmd.Flags().IntVar(&limit, "limit", 50, "show at most `N` runs (0: all)")
	return cmd
}

func scopeText(r evidence.RunInfo) string {
	parts := append(append(append([]string{}, r.Paths...), r.Accounts...), r.Regions...)
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

// runRef parses a run reference: a sequence number or "latest".
func runRef(ctx context.Context, st evidence.Store, s string) (int64, error) {
	if s == "latest" {
		runs, err := st.Runs(ctx, evidence.RunQuery{Desc: true, Limit: 1})
		if err != nil {
			return 0, err
		}
		if len(runs) == 0 {
			return 0, errors.New("the store has no runs")
		}
		return runs[0].Seq, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, usagef("run %q: want a run number (see `sagefence evidence list`) or \"latest\"", s)
	}
	return n, nil
}

func loadRun(ctx context.Context, st evidence.Store, ref string) (*evidence.Run, error) {
	seq, err := runRef(ctx, st, ref)
	if err != nil {
		return nil, err
	}
	r, err := st.Run(ctx, seq)
	if errors.Is(err, evidence.ErrNoRun) {
		return nil, usagef("run %d is not in the store", seq)
	}
	return r, err
}

func newEvidenceShowCmd(io *IO) *cobra.Command {
	out := &OutputOptions{}
	var f report.Formatter
	cmd := storeCommand(io, &cobra.Command{
		Use: "show RUN", Short: "Show a recorded run in any report format", Args: exactArgs(1),
		Example: "  sagefence evidence show 12 --format json\n  sagefence evidence show latest",
	}, func(args []string) error {
		var err error
		f, err = out.formatter(io)
		return err
	}, func(ctx context.Context, st evidence.Store, args []string) error {
		r, err := loadRun(ctx, st, args[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(io.info(out.Quiet).ErrOut, "run %d recorded %s, hash %s (prev %s)\n", r.Seq, r.RecordedAt.Format(evidence.TimeLayout), r.Hash, r.PrevHash)
		res := r.Result()
		res.Finalize()
		return f.Format(io.Out, res)
	})
	cmd.Flags().StringVarP(&out.Format, "format", "f", "", "output format: "+joinNames()+" (default: table on a terminal, json otherwise)")
	cmd.Flags().BoolVarP(&out.Quiet, "quiet", "q", false, "do not print the run's hash line on standard error")
	cmd.Flags().BoolVar(&out.Compact, "compact", false, "table format: one short block per finding, wrapped to the terminal width")
	return cmd
}

func newEvidenceDiffCmd(io *IO) *cobra.Command {
	var format *dataFormatFlags
	var asJSON bool
	cmd := storeCommand(io, &cobra.Command{
		Use: "diff RUN1 RUN2", Short: "What became compliant, regressed, appeared or disappeared between two runs", Args: exactArgs(2),
		Example: "  sagefence evidence diff 11 latest\n  sagefence evidence diff 11 12 --format json",
	}, func(args []string) error {
		f, err := format.resolve(io)
		asJSON = f == "json"
		return err
	}, func(ctx context.Context, st evidence.Store, args []string) error {
		a, err := loadRun(ctx, st, args[0])
		if err != nil {
			return err
		}
		b, err := loadRun(ctx, st, args[1])
		if err != nil {
			return err
		}
		d := evidence.DiffRuns(a, b)
		if asJSON {
			return writeJSON(io, d)
		}
		fmt.Fprintf(io.Out, "run %d -> run %d: %d unchanged\n", d.From, d.To, d.Unchanged)
		for _, sec := range []struct {
			title string
			es    []evidence.DiffEntry
		}{{"Became compliant", d.BecameCompliant}, {"Regressed", d.Regressed}, {"Changed", d.Changed},
			{"Appeared", d.Appeared}, {"Disappeared", d.Disappeared}} {
			fmt.Fprintf(io.Out, "\n%s (%d)\n", sec.title, len(sec.es))
			for _, e := range sec.es {
				fmt.Fprintf(io.Out, "  %-10s -> %-10s %s  %s\n", orDash(e.Before), orDash(e.After), e.ControlID, e.Resource)
			}
		}
		return nil
	})
	format = addDataFormat(cmd, "", true, "table", "json")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newEvidenceVerifyCmd(io *IO) *cobra.Command {
	var pubPath string
	var format *dataFormatFlags
	var asJSON bool
	cmd := storeCommandWith(io, true, &cobra.Command{
		Use: "verify", Short: "Recompute the hash chain and name the first altered or missing run", Args: exactArgs(0),
		Long: `Recompute every run's hash from its stored content and check each link to the run before.
Exit 0 when the chain is intact, 1 when a run is missing, altered or out of order (the first
one is named), and 1 when there is nothing to verify: no store at that path (verify never
creates one) or a store without any run. With --pub, also check the newest head signature made
with that key, which detects runs deleted from the end of the chain, and the prune checkpoint's
signature (evidence prune --key), which detects the oldest runs deleted and a checkpoint forged.`,
		Example: "  sagefence evidence verify\n  sagefence evidence verify --pub evidence-key.pub.pem",
	}, func(args []string) error {
		f, err := format.resolve(io)
		asJSON = f == "json"
		return err
	}, func(ctx context.Context, st evidence.Store, args []string) error {
		// Nothing to verify is a failure, never "OK: 0 runs verified".
		nothing := ""
		var rep *evidence.VerifyReport
		if st == nil {
			nothing = "no evidence store at " + args[len(args)-1] + ": nothing to verify"
		} else {
			var err error
			if rep, err = st.Verify(ctx); err != nil {
				return err
			}
			if rep.OK && rep.Runs == 0 && rep.Checkpoint == nil {
				nothing = "the store holds no run: nothing to verify (is this the right store?)"
			}
		}
		if nothing != "" {
			if asJSON {
				if err := writeJSON(io, map[string]any{"chain": &evidence.VerifyReport{Problem: nothing}, "signature": nil}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(io.Out, "FAILED: %s\n", nothing)
			}
			return resultError{ExitFail}
		}
		var sr *evidence.SignatureReport
		if pubPath != "" {
			data, err := os.ReadFile(pubPath)
			if err != nil {
				return usagef("reading the public key: %v", err)
			}
			pub, err := evidence.ParsePublicKey(data)
			if err != nil {
				return usagef("%s: %v", pubPath, err)
			}
			if sr, err = evidence.VerifySignatures(ctx, st, rep, pub); err != nil {
				return err
			}
		}
		if asJSON {
			if err := writeJSON(io, map[string]any{"chain": rep, "signature": sr}); err != nil {
				return err
			}
		} else {
			printVerify(io, st.Location(), rep, sr)
		}
		if !rep.OK || (sr != nil && !sr.OK) {
			return resultError{ExitFail}
		}
		return nil
	})
	cmd.Flags().StringVar(&pubPath, "pub", "", "also verify the head signature of this Ed25519 public key `FILE` (PEM or base64)")
	format = addDataFormat(cmd, "", true, "table", "json")
	return cmd
}

func printVerify(io *IO, location string, rep *evidence.VerifyReport, sr *evidence.SignatureReport) {
	from := "the first run"
	if rep.Checkpoint != nil {
		from = fmt.Sprintf("the prune checkpoint (run %d, %d runs pruned)", rep.Checkpoint.Seq, rep.Checkpoint.PrunedRuns)
	}
	if rep.OK {
		fmt.Fprintf(io.Out, "OK: %d runs verified from %s in %s; head run %d %s\n", rep.Runs, from, location, rep.HeadSeq, rep.HeadHash)
	} else {
		fmt.Fprintf(io.Out, "FAILED at run %d: %s\n(%d runs verified from %s before it)\n", rep.FirstBadSeq, rep.Problem, rep.Runs, from)
	}
	if sr == nil {
		return
	}
	if sr.OK {
		fmt.Fprintf(io.Out, "OK: head run %d signed %s with this key", sr.Seq, sr.SignedAt.Format(evidence.TimeLayout))
		if sr.Unsigned > 0 {
			fmt.Fprintf(io.Out, "; %d later runs are not signed yet", sr.Unsigned)
		}
		fmt.Fprintln(io.Out)
	} else {
		fmt.Fprintf(io.Out, "SIGNATURE FAILED: %s\n", sr.Problem)
	}
}

// readPrivateKey reads an Ed25519 private key file (--key).
func readPrivateKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("reading the key: %v", err)
	}
	priv, err := evidence.ParsePrivateKey(data)
	if err != nil {
		return nil, usagef("%s: %v", path, err)
	}
	return priv, nil
}

// parseDate accepts YYYY-MM-DD (midnight UTC) or RFC 3339.
func parseDate(flag, s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("%s %q: want YYYY-MM-DD or an RFC 3339 time", flag, s)
	}
	return t.UTC(), nil
}

func newEvidenceExportCmd(io *IO) *cobra.Command {
	var from, to, format, output string
	var trails, witnessFiles []string
	var stale time.Duration
	var f, t time.Time
	cmd := storeCommand(io, &cobra.Command{
		Use: "export --from DATE --to DATE", Short: "The audit-period report: compliance over time per control, framework and resource", Args: exactArgs(0),
		Long: `Report the period [--from, --to): per control and framework, and per resource, the share of
time compliant, every regression with when it started and ended, and every gap in the evidence.
A run's verdicts hold until the next run of the same scope; unknown, error and no-evidence time
is a gap and is never counted as compliant (docs/evidence.md defines the arithmetic).
--cloudtrail adds a saved 'evidence cloudtrail --format json' history: its events decide the state
where they show it (creation, deletion, settings), and its violation windows are listed with who
caused them; --witnesses attaches the AWS Config and Security Hub verdicts of saved
'audit --witnesses --format json' results to the resources.`,
		Example: "  sagefence evidence export --from 2026-01-01 --to 2026-07-01 --format html -o audit-h1.html",
	}, func(args []string) error {
		if !slices.Contains(evidence.ExportFormats, format) {
			return usagef("--format %q: one of %s", format, strings.Join(evidence.ExportFormats, ", "))
		}
		var err error
		if f, err = parseDate("--from", from); err != nil {
			return err
		}
		t, err = parseDate("--to", to)
		return err
	}, func(ctx context.Context, st evidence.Store, args []string) error {
		eo := evidence.ExportOptions{From: f, To: t, StaleAfter: stale}
		if err := loadExportSources(&eo, trails, witnessFiles); err != nil {
			return err
		}
		rep, err := evidence.BuildReport(ctx, st, eo)
		if err != nil {
			return usageError{err}
		}
		if rep.Chain, err = st.Verify(ctx); err != nil {
			return err
		}
		write := func(w *os.File) error { return evidence.WriteReport(w, rep, format) }
		if output == "" {
			return evidence.WriteReport(io.Out, rep, format)
		}
		return writeFileAtomic(output, write)
	})
	cmd.Flags().StringVar(&from, "from", "", "period start (`DATE`: YYYY-MM-DD or RFC 3339), inclusive")
	cmd.Flags().StringVar(&to, "to", "", "period end (`DATE`), exclusive")
	cmd.Flags().StringVarP(&format, "format", "f", "html", "html, json or csv")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to `FILE`")
	cmd.Flags().DurationVar(&stale, "stale-after", 0, "a run's verdicts count for at most this long (e.g. 48h); later time is a gap")
	cmd.Flags().StringArrayVar(&trails, "cloudtrail", nil, "combine this `FILE` of 'evidence cloudtrail --format json' (repeatable)")
	cmd.Flags().StringArrayVar(&witnessFiles, "witnesses", nil, "attach the witnesses of this 'audit --witnesses --format json' `FILE` (repeatable)")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func newEvidencePruneCmd(io *IO) *cobra.Command {
	var before, keyPath string
	var b time.Time
	var priv ed25519.PrivateKey
	cmd := storeCommand(io, &cobra.Command{
		Use: "prune --before DATE", Short: "Delete old runs, keeping the chain verifiable with a checkpoint", Args: exactArgs(0),
		Long: `Delete the runs started before DATE. The chain stays verifiable from a checkpoint (the newest
pruned run's hash). With --key the checkpoint is signed: verify --pub then proves that the runs
before it were pruned by the key's holder, not deleted and replaced by a forged checkpoint.
Without --key, verify --pub reports the checkpoint as unsigned.`,
		Example: "  sagefence evidence prune --before 2025-01-01 --key evidence-key.pem",
	}, func(args []string) error {
		var err error
		if b, err = parseDate("--before", before); err != nil {
			return err
		}
		if keyPath != "" {
			priv, err = readPrivateKey(keyPath)
		}
		return err
	}, func(ctx context.Context, st evidence.Store, args []string) error {
		res, err := st.Prune(ctx, b)
		if err != nil {
			return err
		}
		if res.Checkpoint == nil {
			fmt.Fprintln(io.Out, "nothing to prune")
			return nil
		}
		fmt.Fprintf(io.Out, "pruned %d runs; checkpoint at run %d %s (%d runs pruned in total)\n",
			res.Removed, res.Checkpoint.Seq, res.Checkpoint.Hash, res.Checkpoint.PrunedRuns)
		if priv == nil {
			fmt.Fprintln(io.ErrOut, "sagefence: the checkpoint is not signed (no --key): evidence verify --pub will report it")
			return nil
		}
		cp, err := evidence.SignCheckpoint(ctx, st, priv)
		if err != nil {
			return err
		}
		fmt.Fprintf(io.Out, "signed the checkpoint at run %d\n", cp.Seq)
		return nil
	})
	cmd.Flags().StringVar(&before, "before", "", "delete the runs started before `DATE` (YYYY-MM-DD or RFC 3339)")
	cmd.Flags().StringVar(&keyPath, "key", "", "sign the checkpoint with this Ed25519 private key `FILE` (PEM or base64)")
	_ = cmd.MarkFlagRequired("before")
	return cmd
}

func newEvidenceKeygenCmd(io *IO) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use: "keygen", Short: "Create an Ed25519 key pair for signing the chain head", Args: exactArgs(0),
		Example: "  sagefence evidence keygen --out evidence-key.pem   # also writes evidence-key.pub.pem",
		RunE: func(cmd *cobra.Command, args []string) error {
			priv, pub, err := evidence.GenerateKey()
			if err != nil {
				return err
			}
			pubPath := strings.TrimSuffix(out, ".pem") + ".pub.pem"
			for _, p := range []string{out, pubPath} {
				if _, err := os.Stat(p); err == nil {
					return usagef("%s exists; not overwriting a key", p)
				}
			}
			if err := os.WriteFile(out, priv, 0o600); err != nil {
				return fmt.Errorf("writing the private key: %w", err)
			}
			if err := os.WriteFile(pubPath, pub, 0o644); err != nil {
				return fmt.Errorf("writing the public key: %w", err)
			}
			fmt.Fprintf(io.Out, "private key: %s (keep it secret)\npublic key:  %s (give it to the auditor)\n", out, pubPath)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "evidence-key.pem", "private key `FILE` (PEM, PKCS #8); the public key goes beside it as NAME.pub.pem")
	return cmd
}

func newEvidenceSignCmd(io *IO) *cobra.Command {
	var keyPath string
	var priv ed25519.PrivateKey
	cmd := storeCommand(io, &cobra.Command{
		Use: "sign --key FILE", Short: "Verify the chain and sign its head with an Ed25519 key", Args: exactArgs(0),
		Example: "  sagefence evidence sign --key evidence-key.pem",
	}, func(args []string) error {
		var err error
		priv, err = readPrivateKey(keyPath)
		return err
	}, func(ctx context.Context, st evidence.Store, args []string) error {
		sig, err := evidence.SignHead(ctx, st, priv, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(io.Out, "signed run %d %s\nsignature %s\n", sig.Seq, sig.Hash, sig.Signature)
		return nil
	})
	cmd.Flags().StringVar(&keyPath, "key", "", "Ed25519 private key `FILE` (PEM or base64)")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}
