package remediate

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// Strategy is how a notebook is replaced.
type Strategy string

const (
	// Recreate keeps the name: stop, delete, create again.
	Recreate Strategy = "recreate"
	// BlueGreen creates <name>-private beside the old notebook and stops the old one.
	BlueGreen Strategy = "blue-green"
)

// ParseStrategy accepts "recreate" and "blue-green".
func ParseStrategy(s string) (Strategy, error) {
	switch Strategy(s) {
	case Recreate, BlueGreen:
		return Strategy(s), nil
	}
	return "", fmt.Errorf("unknown strategy %q (want %q or %q)", s, Recreate, BlueGreen)
}

// BlueGreenSuffix is appended to the name of the new notebook.
const BlueGreenSuffix = "-private"

// Target is the network the new notebook is created in.
type Target struct {
	SubnetID         string   `json:"SubnetId"`
	SecurityGroupIDs []string `json:"SecurityGroupIds"`
	VpcID            string   `json:"VpcId,omitempty"`
	// Source says where the target came from, for the plan.
	Source string `json:"source"`
}

// StepAction names a step.
type StepAction string

const (
	StepStop          StepAction = "stop"
	StepWaitStopped   StepAction = "wait-stopped"
	StepDelete        StepAction = "delete"
	StepWaitDeleted   StepAction = "wait-deleted"
	StepCreate        StepAction = "create"
	StepWaitInService StepAction = "wait-in-service"
)

// Step statuses in a record.
const (
	StepPending = "pending"
	StepDone    = "done"
)

// Step is one action on one notebook.
type Step struct {
	Action   StepAction `json:"action"`
	Notebook string     `json:"notebook"`
	Status   string     `json:"status"`
	// Note says what the step found or did ("already stopped").
	Note string `json:"note,omitempty"`
	At   string `json:"at,omitempty"`
}

// Describe renders the step for the plan.
func (s Step) Describe() string {
	switch s.Action {
	case StepStop:
		return fmt.Sprintf("stop %s (StopNotebookInstance; needs InService)", s.Notebook)
	case StepWaitStopped:
		return fmt.Sprintf("wait until %s is Stopped", s.Notebook)
	case StepDelete:
		return fmt.Sprintf("delete %s (DeleteNotebookInstance; needs Stopped or Failed) — its ML storage volume is destroyed", s.Notebook)
	case StepWaitDeleted:
		return fmt.Sprintf("wait until %s is deleted", s.Notebook)
	case StepCreate:
		return fmt.Sprintf("create %s with DirectInternetAccess=Disabled in the target subnet, every other setting kept", s.Notebook)
	case StepWaitInService:
		return fmt.Sprintf("wait until %s is InService", s.Notebook)
	}
	return string(s.Action) + " " + s.Notebook
}

// NotebookPlan is the remediation of one notebook.
type NotebookPlan struct {
	Region   string   `json:"region"`
	Name     string   `json:"notebook"`
	Strategy Strategy `json:"strategy"`
	// Failing are the failing controls' messages.
	Failing []string `json:"failing"`
	// Current is the full description, with the create-call field names.
	Current NotebookConfig `json:"current"`
	Tags    []Tag          `json:"tags"`
	// LifecycleConfig is the attached configuration's scripts, when one is attached.
	LifecycleConfig *LifecycleSnapshot `json:"lifecycle_config,omitempty"`
	// ReadErrors name what could not be read ("tags", "lifecycle_config");
	// Apply refuses while any is present.
	ReadErrors map[string]string `json:"read_errors,omitempty"`
	Target     Target            `json:"target"`
	// NewName is the name of the compliant notebook (the same name for recreate).
	NewName string `json:"new_name"`
	// Create is the exact create call, in the same field names as Current.
	Create NotebookConfig `json:"create"`
	// CreateTags are the tags the create call sets; DroppedTags the reserved
	// aws: tags that cannot be set again.
	CreateTags  []Tag    `json:"create_tags"`
	DroppedTags []string `json:"dropped_tags,omitempty"`
	Steps       []Step   `json:"steps"`
	// Refusal, when set, is why this notebook cannot be remediated as asked.
	Refusal string `json:"refusal,omitempty"`
}

// createInput is the SDK call for the plan's create step.
func (p *NotebookPlan) createInput() *sagemaker.CreateNotebookInstanceInput {
	return p.Current.createInput(p.NewName, p.Tags, p.Target)
}

// PlanOptions select notebooks and the target network.
type PlanOptions struct {
	// Notebooks limits the plan to these names; empty means every failing notebook.
	Notebooks []string
	// SubnetID and SecurityGroupIDs give the target network explicitly (both or neither).
	SubnetID         string
	SecurityGroupIDs []string
	// VpcID lets a notebook outside any VPC copy the network of a compliant
	// notebook in this VPC.
	VpcID    string
	Strategy Strategy
}

// Planner reads the account and builds plans; it never changes anything.
type Planner struct {
	SageMaker SageMakerAPI
	EC2       EC2API
	Region    string
}

// described is one notebook read for planning.
type described struct {
	cfg NotebookConfig
	err error
}

// PlanNotebooks returns one plan per failing notebook (or per named notebook
// that fails; a named notebook that passes is reported in skipped).
func (p *Planner) PlanNotebooks(ctx context.Context, opts PlanOptions) (plans []*NotebookPlan, skipped []string, err error) {
	if (opts.SubnetID == "") != (len(opts.SecurityGroupIDs) == 0) {
		return nil, nil, fmt.Errorf("give both --subnet-id and --security-group-id, or neither")
	}
	if opts.Strategy == "" {
		opts.Strategy = Recreate
	}
	names, err := p.listNotebooks(ctx)
	if err != nil {
		return nil, nil, err
	}
	all := map[string]described{}
	for _, n := range names {
		cfg, err := p.describe(ctx, n)
		all[n] = described{cfg, err}
	}
	wanted := names
	if len(opts.Notebooks) > 0 {
		wanted = opts.Notebooks
		for _, n := range wanted {
			if _, ok := all[n]; !ok {
				cfg, err := p.describe(ctx, n)
				all[n] = described{cfg, err}
			}
		}
	}
	for _, name := range wanted {
		d := all[name]
		if d.err != nil {
			return nil, nil, fmt.Errorf("describing notebook %s: %w", name, d.err)
		}
		failing := failingControls(d.cfg, p.Region)
		if len(failing) == 0 {
			skipped = append(skipped, name)
			continue
		}
		plan := &NotebookPlan{
			Region: p.Region, Name: name, Strategy: opts.Strategy, Failing: failing,
			Current: d.cfg, Tags: []Tag{}, ReadErrors: map[string]string{}, CreateTags: []Tag{},
		}
		p.readExtras(ctx, plan)
		if err := p.chooseTarget(ctx, plan, opts, all); err != nil {
			return nil, nil, err
		}
		finishPlan(plan)
		plans = append(plans, plan)
	}
	return plans, skipped, nil
}

func (p *Planner) listNotebooks(ctx context.Context) ([]string, error) {
	var names []string
	pager := sagemaker.NewListNotebookInstancesPaginator(p.SageMaker, &sagemaker.ListNotebookInstancesInput{MaxResults: aws.Int32(100)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing notebook instances in %s: %w", p.Region, err)
		}
		for _, nb := range page.NotebookInstances {
			names = append(names, aws.ToString(nb.NotebookInstanceName))
		}
	}
	sort.Strings(names)
	return names, nil
}

func (p *Planner) describe(ctx context.Context, name string) (NotebookConfig, error) {
	out, err := p.SageMaker.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
	if err != nil {
		return NotebookConfig{}, err
	}
	return configFromDescribe(out), nil
}

// readExtras reads the tags and the lifecycle configuration; what fails is
// recorded in ReadErrors, which blocks Apply.
func (p *Planner) readExtras(ctx context.Context, plan *NotebookPlan) {
	var token *string
	for {
		out, err := p.SageMaker.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String(plan.Current.NotebookInstanceArn), NextToken: token})
		if err != nil {
			plan.ReadErrors["tags"] = err.Error()
			plan.Tags = []Tag{}
			break
		}
		for _, t := range out.Tags {
			plan.Tags = append(plan.Tags, Tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		token = out.NextToken
	}
	if name := plan.Current.LifecycleConfigName; name != "" {
		out, err := p.SageMaker.DescribeNotebookInstanceLifecycleConfig(ctx,
			&sagemaker.DescribeNotebookInstanceLifecycleConfigInput{NotebookInstanceLifecycleConfigName: aws.String(name)})
		if err != nil {
			plan.ReadErrors["lifecycle_config"] = fmt.Sprintf("lifecycle configuration %s: %v", name, err)
		} else {
			snap := &LifecycleSnapshot{Name: name, Arn: aws.ToString(out.NotebookInstanceLifecycleConfigArn), OnCreate: []string{}, OnStart: []string{}}
			for _, h := range out.OnCreate {
				snap.OnCreate = append(snap.OnCreate, aws.ToString(h.Content))
			}
			for _, h := range out.OnStart {
				snap.OnStart = append(snap.OnStart, aws.ToString(h.Content))
			}
			plan.LifecycleConfig = snap
		}
	}
}

// chooseTarget picks the target network: the command line; else a
// compliant notebook in the same VPC (the notebook's own VPC, or --vpc-id);
// else the notebook's own subnet and groups; else a refusal.
func (p *Planner) chooseTarget(ctx context.Context, plan *NotebookPlan, opts PlanOptions, all map[string]described) error {
	if opts.SubnetID != "" {
		plan.Target = Target{SubnetID: opts.SubnetID, SecurityGroupIDs: opts.SecurityGroupIDs, Source: "given on the command line"}
		return nil
	}
	cur := plan.Current
	vpc := opts.VpcID
	if cur.SubnetID != "" {
		own, err := p.vpcOf(ctx, cur.SubnetID)
		if err != nil {
			return fmt.Errorf("notebook %s: %w", plan.Name, err)
		}
		vpc = own
	}
	if vpc != "" {
		donor, err := p.compliantNotebookIn(ctx, vpc, plan.Name, all)
		if err != nil {
			return err
		}
		if donor != nil {
			plan.Target = Target{SubnetID: donor.SubnetID, SecurityGroupIDs: donor.SecurityGroupIDs, VpcID: vpc,
				Source: fmt.Sprintf("copied from compliant notebook %s in %s", donor.NotebookInstanceName, vpc)}
			return nil
		}
	}
	if cur.SubnetID != "" && len(cur.SecurityGroupIDs) > 0 {
		plan.Target = Target{SubnetID: cur.SubnetID, SecurityGroupIDs: cur.SecurityGroupIDs, VpcID: vpc,
			Source: fmt.Sprintf("the notebook's own subnet and security groups (no compliant notebook in %s to copy from): "+
				"make sure this subnet reaches SageMaker and S3 through VPC endpoints or a NAT gateway", vpc)}
		return nil
	}
	where := "it is not in a VPC"
	if vpc != "" {
		where = fmt.Sprintf("no notebook in %s has direct internet access disabled with a subnet and security groups", vpc)
	}
	plan.Refusal = fmt.Sprintf("no target network for %s: %s. Give --subnet-id and --security-group-id "+
		"(a private subnet with VPC endpoints or NAT, and groups allowing outbound HTTPS), or --vpc-id of a VPC "+
		"that already has a compliant notebook", plan.Name, where)
	return nil
}

func (p *Planner) vpcOf(ctx context.Context, subnetID string) (string, error) {
	if p.EC2 == nil {
		return "", fmt.Errorf("no EC2 client to look up subnet %s", subnetID)
	}
	out, err := p.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{subnetID}})
	if err != nil {
		return "", fmt.Errorf("looking up subnet %s: %w", subnetID, err)
	}
	if len(out.Subnets) == 0 {
		return "", fmt.Errorf("subnet %s not found", subnetID)
	}
	return aws.ToString(out.Subnets[0].VpcId), nil
}

// compliantNotebookIn returns the first (by name) notebook other than self
// that passes both network controls and whose subnet is in vpc.
func (p *Planner) compliantNotebookIn(ctx context.Context, vpc, self string, all map[string]described) (*NotebookConfig, error) {
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d := all[n]
		if n == self || d.err != nil || len(failingControls(d.cfg, p.Region)) > 0 {
			continue
		}
		v, err := p.vpcOf(ctx, d.cfg.SubnetID)
		if err != nil {
			return nil, fmt.Errorf("notebook %s: %w", n, err)
		}
		if v == vpc {
			cfg := d.cfg
			return &cfg, nil
		}
	}
	return nil, nil
}

// finishPlan fills the new name, the create call and the steps.
func finishPlan(plan *NotebookPlan) {
	if plan.Refusal != "" {
		plan.Steps = []Step{}
		return
	}
	plan.NewName = plan.Name
	if plan.Strategy == BlueGreen {
		plan.NewName = plan.Name + BlueGreenSuffix
		if len(plan.NewName) > 63 {
			plan.Refusal = fmt.Sprintf("blue-green name %s is longer than 63 characters; use --strategy recreate", plan.NewName)
			plan.Steps = []Step{}
			return
		}
	}
	plan.Create = plan.Current
	plan.Create.NotebookInstanceName = plan.NewName
	plan.Create.NotebookInstanceArn, plan.Create.NotebookInstanceStatus, plan.Create.FailureReason = "", "", ""
	plan.Create.URL, plan.Create.NetworkInterfaceID = "", ""
	plan.Create.CreationTime, plan.Create.LastModifiedTime = nil, nil
	plan.Create.DirectInternetAccess = awsfacts.DirectInternetAccessDisabled
	plan.Create.SubnetID = plan.Target.SubnetID
	plan.Create.SecurityGroupIDs = plan.Target.SecurityGroupIDs
	plan.CreateTags = append([]Tag{}, settableTags(plan.Tags)...)
	for _, t := range plan.Tags {
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			plan.DroppedTags = append(plan.DroppedTags, t.Key)
		}
	}
	step := func(a StepAction, nb string) Step { return Step{Action: a, Notebook: nb, Status: StepPending} }
	switch plan.Strategy {
	case BlueGreen:
		plan.Steps = []Step{
			step(StepCreate, plan.NewName), step(StepWaitInService, plan.NewName),
			step(StepStop, plan.Name), step(StepWaitStopped, plan.Name),
		}
	default:
		plan.Steps = []Step{
			step(StepStop, plan.Name), step(StepWaitStopped, plan.Name),
			step(StepDelete, plan.Name), step(StepWaitDeleted, plan.Name),
			step(StepCreate, plan.NewName), step(StepWaitInService, plan.NewName),
		}
	}
}

// failingControls evaluates the two notebook network controls on the live
// description and returns the messages of those that fail. Using the
// catalog's checks keeps remediate's verdict the same as audit's.
func failingControls(c NotebookConfig, region string) []string {
	nb := &model.NotebookInstance{
		Meta: model.Meta{Surface: model.SurfaceAWS, Type: "AWS::SageMaker::NotebookInstance",
			Address: c.NotebookInstanceName, Name: c.NotebookInstanceName, ARN: c.NotebookInstanceArn, Region: region},
		DirectInternetAccess: liveStr(c.DirectInternetAccess, awsfacts.DefaultDirectInternetAccess),
		SubnetID:             liveStr(c.SubnetID, ""),
		SecurityGroups:       model.List{Resolution: model.Explicit},
		Status:               c.NotebookInstanceStatus,
	}
	for _, sg := range c.SecurityGroupIDs {
		nb.SecurityGroups.Items = append(nb.SecurityGroups.Items, model.Str{V: sg, Ref: sg, Resolution: model.Explicit})
	}
	set := &model.Set{Surface: model.SurfaceAWS, Notebooks: []*model.NotebookInstance{nb}}
	var out []string
	for _, id := range []string{control.DirectInternetAccessID, control.InVPCID} {
		ctl, ok := control.Lookup(id)
		if !ok {
			continue
		}
		findings, err := ctl.Evaluate(set)
		if err != nil {
			// Never read a control that could not decide as a pass.
			out = append(out, id+": "+err.Error())
		}
		for _, f := range findings {
			if f.Status == finding.Fail {
				out = append(out, id+": "+f.Message)
			}
		}
	}
	return out
}

// liveStr is a live value: explicit when AWS returned it, else the default.
func liveStr(v, def string) model.Str {
	if v == "" {
		return model.Str{V: def, Resolution: model.Default}
	}
	return model.Str{V: v, Ref: v, Resolution: model.Explicit}
}
