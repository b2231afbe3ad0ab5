package remediate

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// RecordFormatVersion is the version of the recreate record's JSON.
const RecordFormatVersion = "1"

// Record is the recreate record: everything needed to rebuild the notebook
// and to finish the remediation after a crash. It is written before the
// first change and rewritten after each step.
type Record struct {
	FormatVersion string        `json:"format_version"`
	Tool          string        `json:"tool"`
	CreatedAt     string        `json:"created_at"`
	UpdatedAt     string        `json:"updated_at"`
	Plan          *NotebookPlan `json:"plan"`
}

// WaitOptions configure the SDK waiters. Zero values take the SDK's delays
// (30 s minimum) and a one-hour limit per wait.
type WaitOptions struct {
	MinDelay time.Duration
	MaxDelay time.Duration
	MaxWait  time.Duration
}

// Runner performs plans.
type Runner struct {
	SageMaker SageMakerAPI
	Wait      WaitOptions
	// RecordDir is where records are written (created if missing).
	RecordDir string
	// Log receives one line per step; nil discards.
	Log io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Runner) logf(format string, args ...any) {
	if r.Log != nil {
		fmt.Fprintf(r.Log, format+"\n", args...)
	}
}

// CheckApplicable returns why a plan must not be applied, or nil.
func CheckApplicable(p *NotebookPlan) error {
	if p.Refusal != "" {
		return fmt.Errorf("refusing %s: %s", p.Name, p.Refusal)
	}
	if len(p.ReadErrors) > 0 {
		var parts []string
		for _, what := range []string{"tags", "lifecycle_config"} {
			if msg, ok := p.ReadErrors[what]; ok {
				parts = append(parts, what+": "+msg)
			}
		}
		return fmt.Errorf("refusing %s: could not read everything the new notebook must keep (%s); "+
			"fix the permissions (sagemaker:ListTags, sagemaker:DescribeNotebookInstanceLifecycleConfig) and plan again",
			p.Name, strings.Join(parts, "; "))
	}
	if p.Current.RoleArn == "" || p.Current.InstanceType == "" {
		return fmt.Errorf("refusing %s: the description lacks the role or the instance type", p.Name)
	}
	return nil
}

// Apply writes the record and performs the plan's steps. It returns the
// record's path (also when a step fails after it was written).
func (r *Runner) Apply(ctx context.Context, p *NotebookPlan) (string, error) {
	if err := CheckApplicable(p); err != nil {
		return "", err
	}
	if err := os.MkdirAll(r.RecordDir, 0o755); err != nil {
		return "", fmt.Errorf("creating record directory %s: %w", r.RecordDir, err)
	}
	now := r.now()
	rec := &Record{
		FormatVersion: RecordFormatVersion, Tool: "sagefence remediate",
		CreatedAt: now.Format(time.RFC3339), UpdatedAt: now.Format(time.RFC3339), Plan: p,
	}
	path := filepath.Join(r.RecordDir, fmt.Sprintf("%s-%s.json", p.Name, now.Format("20060102T150405.000000000Z")))
	if err := writeRecord(path, rec); err != nil {
		return "", err
	}
	r.logf("record written: %s", path)
	return path, r.run(ctx, path, rec)
}

// Resume finishes the remediation described by the record at path.
func (r *Runner) Resume(ctx context.Context, path string) error {
	rec, err := ReadRecord(path)
	if err != nil {
		return err
	}
	if err := CheckApplicable(rec.Plan); err != nil {
		return err
	}
	r.logf("resuming %s from %s", rec.Plan.Name, path)
	return r.run(ctx, path, rec)
}

// Scope is the account and region a record's notebook lives in: the
// plan's region and the account of the notebook's ARN (which must name the
// same region). A record without them cannot be resumed safely: resuming
// it with other credentials or another region would recreate the notebook
// where it never was.
func (rec *Record) Scope() (account, region string, err error) {
	p := rec.Plan
	parsed, perr := arn.Parse(p.Current.NotebookInstanceArn)
	switch {
	case p.Region == "":
		return "", "", fmt.Errorf("the record of %s names no region: it cannot be resumed safely", p.Name)
	case perr != nil || parsed.AccountID == "":
		return "", "", fmt.Errorf("the record of %s has no notebook ARN naming its account (%q): it cannot be resumed safely", p.Name, p.Current.NotebookInstanceArn)
	case parsed.Region != p.Region:
		return "", "", fmt.Errorf("the record of %s is inconsistent: region %s, notebook ARN in region %s", p.Name, p.Region, parsed.Region)
	}
	return parsed.AccountID, p.Region, nil
}

// ReadRecord reads and checks a record.
func ReadRecord(path string) (*Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading record: %w", err)
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("record %s is not valid JSON: %w", path, err)
	}
	if rec.FormatVersion != RecordFormatVersion || rec.Plan == nil || rec.Plan.Name == "" || len(rec.Plan.Steps) == 0 {
		return nil, fmt.Errorf("record %s is not a sagefence recreate record (format_version %q)", path, rec.FormatVersion)
	}
	return &rec, nil
}

func writeRecord(path string, rec *Record) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding record: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing record: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("writing record %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing record %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing record %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing record %s: %w", path, err)
	}
	return nil
}

// run performs the pending steps in order, saving the record after each.
func (r *Runner) run(ctx context.Context, path string, rec *Record) error {
	p := rec.Plan
	for i := range p.Steps {
		st := &p.Steps[i]
		if st.Status == StepDone {
			continue
		}
		note, err := r.step(ctx, p, *st)
		if err != nil {
			return fmt.Errorf("step %d (%s %s) of %s: %w; finish with: sagefence remediate --resume %s",
				i+1, st.Action, st.Notebook, p.Name, err, path)
		}
		st.Status, st.Note, st.At = StepDone, note, r.now().Format(time.RFC3339)
		rec.UpdatedAt = st.At
		if err := writeRecord(path, rec); err != nil {
			return err
		}
		r.logf("%s %s: %s", st.Action, st.Notebook, note)
	}
	return nil
}

// state is a notebook's current status, or exists=false.
func (r *Runner) state(ctx context.Context, name string) (out *sagemaker.DescribeNotebookInstanceOutput, exists bool, err error) {
	out, err = r.SageMaker.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
	if err != nil {
		if isNotFound(err) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("describing %s: %w", name, err)
	}
	return out, true, nil
}

// step performs one step after checking the current state; it returns what
// it did.
func (r *Runner) step(ctx context.Context, p *NotebookPlan, st Step) (string, error) {
	cur, exists, err := r.state(ctx, st.Notebook)
	if err != nil {
		return "", err
	}
	status := types.NotebookInstanceStatus("")
	if exists {
		status = cur.NotebookInstanceStatus
	}
	in := &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(st.Notebook)}
	if exists && st.Notebook == p.Name && (st.Action == StepStop || st.Action == StepDelete) && !p.isOriginal(cur) {
		return "", fmt.Errorf("the notebook named %s was created at %s, not at %s as recorded: it is not the one to %s",
			st.Notebook, aws.ToTime(cur.CreationTime).Format(time.RFC3339), p.Current.CreationTime.Format(time.RFC3339), st.Action)
	}
	switch st.Action {
	case StepStop:
		switch status {
		case "":
			return "not found; nothing to stop", nil
		case types.NotebookInstanceStatusStopped, types.NotebookInstanceStatusFailed, types.NotebookInstanceStatusStopping:
			return fmt.Sprintf("already %s", status), nil
		case types.NotebookInstanceStatusPending, types.NotebookInstanceStatusUpdating:
			// Stop needs InService: wait for it rather than fail.
			if err := r.waitInService(ctx, in); err != nil {
				return "", fmt.Errorf("waiting for InService before stopping (status %s): %w", status, err)
			}
		case types.NotebookInstanceStatusInService:
		default:
			return "", fmt.Errorf("cannot stop a notebook in status %s (Stop needs InService)", status)
		}
		if _, err := r.SageMaker.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: aws.String(st.Notebook)}); err != nil {
			return "", fmt.Errorf("stopping: %w", err)
		}
		return "stop requested", nil
	case StepWaitStopped:
		switch status {
		case "":
			return "not found", nil
		case types.NotebookInstanceStatusStopped:
			return "Stopped", nil
		case types.NotebookInstanceStatusFailed:
			return "Failed (deletable)", nil
		}
		w := sagemaker.NewNotebookInstanceStoppedWaiter(r.SageMaker, func(o *sagemaker.NotebookInstanceStoppedWaiterOptions) {
			r.delays(&o.MinDelay, &o.MaxDelay)
		})
		if err := w.Wait(ctx, in, r.maxWait()); err != nil {
			return "", fmt.Errorf("waiting for Stopped: %w", err)
		}
		return "Stopped", nil
	case StepDelete:
		switch status {
		case "":
			return "already deleted", nil
		case types.NotebookInstanceStatusDeleting:
			return "already deleting", nil
		case types.NotebookInstanceStatusStopped, types.NotebookInstanceStatusFailed:
		default:
			return "", fmt.Errorf("refusing to delete a notebook in status %s (Delete needs Stopped or Failed)", status)
		}
		if _, err := r.SageMaker.DeleteNotebookInstance(ctx, &sagemaker.DeleteNotebookInstanceInput{NotebookInstanceName: aws.String(st.Notebook)}); err != nil {
			return "", fmt.Errorf("deleting: %w", err)
		}
		return "delete requested", nil
	case StepWaitDeleted:
		if !exists {
			return "deleted", nil
		}
		w := sagemaker.NewNotebookInstanceDeletedWaiter(r.SageMaker, func(o *sagemaker.NotebookInstanceDeletedWaiterOptions) {
			r.delays(&o.MinDelay, &o.MaxDelay)
		})
		if err := w.Wait(ctx, in, r.maxWait()); err != nil {
			return "", fmt.Errorf("waiting for deletion: %w", err)
		}
		return "deleted", nil
	case StepCreate:
		if exists {
			if !p.isOriginal(cur) && cur.DirectInternetAccess == types.DirectInternetAccessDisabled && aws.ToString(cur.SubnetId) == p.Target.SubnetID {
				return "already created", nil
			}
			return "", fmt.Errorf("a notebook named %s exists (status %s, DirectInternetAccess %s) and is not the remediated one",
				st.Notebook, status, cur.DirectInternetAccess)
		}
		if _, err := r.SageMaker.CreateNotebookInstance(ctx, p.createInput()); err != nil {
			return "", fmt.Errorf("creating: %w", err)
		}
		return "created with DirectInternetAccess=Disabled in " + p.Target.SubnetID, nil
	case StepWaitInService:
		if !exists {
			return "", fmt.Errorf("notebook %s does not exist", st.Notebook)
		}
		if status == types.NotebookInstanceStatusInService {
			return "InService", nil
		}
		if err := r.waitInService(ctx, in); err != nil {
			return "", err
		}
		return "InService", nil
	}
	return "", fmt.Errorf("unknown step %q", st.Action)
}

// isOriginal reports whether cur is the notebook the plan described (same
// creation time; a recreated notebook of the same name has a later one).
func (p *NotebookPlan) isOriginal(cur *sagemaker.DescribeNotebookInstanceOutput) bool {
	if aws.ToString(cur.NotebookInstanceName) != p.Name {
		return false
	}
	if p.Current.CreationTime == nil || cur.CreationTime == nil {
		return true
	}
	return p.Current.CreationTime.Equal(*cur.CreationTime)
}

func (r *Runner) waitInService(ctx context.Context, in *sagemaker.DescribeNotebookInstanceInput) error {
	w := sagemaker.NewNotebookInstanceInServiceWaiter(r.SageMaker, func(o *sagemaker.NotebookInstanceInServiceWaiterOptions) {
		r.delays(&o.MinDelay, &o.MaxDelay)
	})
	if err := w.Wait(ctx, in, r.maxWait()); err != nil {
		return fmt.Errorf("waiting for InService: %w", err)
	}
	return nil
}

func (r *Runner) delays(minDelay, maxDelay *time.Duration) {
	if r.Wait.MinDelay > 0 {
		*minDelay = r.Wait.MinDelay
	}
	if r.Wait.MaxDelay > 0 {
		*maxDelay = r.Wait.MaxDelay
	}
	if *minDelay > *maxDelay {
		*maxDelay = *minDelay
	}
}

func (r *Runner) maxWait() time.Duration {
	if r.Wait.MaxWait > 0 {
		return r.Wait.MaxWait
	}
	return time.Hour
}
