package cli

// Recording a finished scan or audit in the evidence store, and folding the
// outcome of such a follow-up step into the run's exit status.

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sagefence/sagefence/evidence"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/config"
)

// RecordOptions are the flags of commands that can record their result.
type RecordOptions struct {
	StoreOptions
	Record bool
	// RecordSet is true when --record (or --record=false) was given on the
	// command line; the command fills it before running, so that the
	// configuration file's record: applies only when it was not.
	RecordSet bool
}

func (o *RecordOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.Record, "record", false, "record the result in the evidence store (see: sagefence evidence --help; also record: true in .sagefence.yaml)")
	o.StoreOptions.addFlags(cmd)
}

// withConfig applies the configuration file's record and store settings
// under the flags: an explicit --record (also --record=false) wins over
// `record:`, and --store, then $SAGEFENCE_STORE, win over `store:`.
func (o RecordOptions) withConfig(io *IO, cfg *config.Config) RecordOptions {
	if cfg == nil {
		return o
	}
	if !o.RecordSet {
		o.Record = cfg.Record
	}
	if o.Store == "" && io.Getenv(evidence.EnvStore) == "" {
		o.Store = cfg.Store
	}
	return o
}

// recordResult stores the result when --record is set and says so on stderr.
func recordResult(ctx context.Context, io *IO, opts RecordOptions, res *finding.Result) error {
	if !opts.Record {
		return nil
	}
	// The evidence store takes the result whole.
	if err := readAllFindings(res); err != nil {
		return err
	}
	st, err := opts.open(ctx, io)
	if err != nil {
		return err
	}
	defer st.Close()
	ri, err := st.Record(ctx, res)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.ErrOut, "sagefence: recorded run %d in %s (hash %s)\n", ri.Seq, st.Location(), ri.Hash[:12])
	return nil
}

// withFollowUpError combines a run's exit status with the failure of a step
// that follows the run (recording it, importing it into Security Hub): the
// report is still written, a fail still exits with its code (1, or
// --exit-code), otherwise the step's error
// exits 2.
func withFollowUpError(io *IO, emitErr, followUpErr error) error {
	if followUpErr == nil {
		return emitErr
	}
	var re resultError
	if errors.As(emitErr, &re) && re.code != ExitError {
		fmt.Fprintf(io.ErrOut, "sagefence: %v\n", followUpErr)
		return emitErr
	}
	return followUpErr
}
