package evidence

import (
	"fmt"
)

// VerifyReport is the outcome of recomputing the chain.
type VerifyReport struct {
	OK bool `json:"ok"`
	// Runs is the number of runs checked.
	Runs int64 `json:"runs"`
	// Checkpoint is where verification started, nil from the genesis.
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
	// HeadSeq/HeadHash is the last run checked (or the checkpoint).
	HeadSeq  int64  `json:"head_seq"`
	HeadHash string `json:"head_hash"`
	// FirstBadSeq is the first run that is missing, altered or unlinked; 0 when OK.
	FirstBadSeq int64 `json:"first_bad_seq,omitempty"`
	// Problem says what is wrong with it.
	Problem string `json:"problem,omitempty"`
}

// verifyChain walks the runs in sequence order from the checkpoint (or the
// genesis) and stops at the first problem:
//
//   - a sequence number is skipped: that run is missing (deleted);
//   - a run's prev_hash differs from the hash of the run before it (or the
//     checkpoint): the link is broken (reordered runs, a rewritten predecessor
//     or a tampered checkpoint);
//   - a run's stored hash differs from the hash recomputed from its stored
//     content: the run was altered.
func verifyChain(cp *Checkpoint, each func(func(*Run) error) error) (*VerifyReport, error) {
	rep := &VerifyReport{OK: true, Checkpoint: cp, HeadHash: GenesisHash}
	prevDesc := "the genesis (no earlier run)"
	if cp != nil {
		rep.HeadSeq, rep.HeadHash = cp.Seq, cp.Hash
		prevDesc = fmt.Sprintf("the prune checkpoint (run %d)", cp.Seq)
	}
	fail := func(seq int64, format string, args ...any) {
		rep.OK, rep.FirstBadSeq, rep.Problem = false, seq, fmt.Sprintf(format, args...)
	}
	errStop := fmt.Errorf("stop")
	err := each(func(r *Run) error {
		want := rep.HeadSeq + 1
		switch {
		case r.Seq > want && want == r.Seq-1:
			fail(want, "run %d is missing: the sequence jumps from %d to %d", want, rep.HeadSeq, r.Seq)
			return errStop
		case r.Seq > want:
			fail(want, "runs %d to %d are missing: the sequence jumps from %d to %d", want, r.Seq-1, rep.HeadSeq, r.Seq)
			return errStop
		case r.Seq < want:
			fail(r.Seq, "run %d comes after run %d: sequence numbers out of order (is the checkpoint altered?)", r.Seq, rep.HeadSeq)
			return errStop
		}
		if r.PrevHash != rep.HeadHash {
			fail(r.Seq, "run %d is not linked to %s: its prev_hash %s differs from %s (runs reordered, the earlier run rewritten, or the checkpoint altered)",
				r.Seq, prevDesc, short(r.PrevHash), short(rep.HeadHash))
			return errStop
		}
		got, err := r.ComputeHash()
		if err != nil {
			fail(r.Seq, "run %d cannot be hashed: %v", r.Seq, err)
			return errStop
		}
		if got != r.Hash {
			fail(r.Seq, "run %d was altered: its content hashes to %s but the stored hash is %s", r.Seq, short(got), short(r.Hash))
			return errStop
		}
		if len(r.FindingList) != r.Findings {
			fail(r.Seq, "run %d was altered: %d findings stored, %d recorded", r.Seq, len(r.FindingList), r.Findings)
			return errStop
		}
		rep.Runs++
		rep.HeadSeq, rep.HeadHash = r.Seq, r.Hash
		prevDesc = fmt.Sprintf("run %d", r.Seq)
		return nil
	})
	if err != nil && err != errStop {
		return nil, err
	}
	return rep, nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
