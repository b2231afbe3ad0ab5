package remediate

import (
	"fmt"
	"io"
	"strings"
)

// WritePlan renders a notebook plan for people.
func WritePlan(w io.Writer, p *NotebookPlan) {
	fmt.Fprintf(w, "Notebook %s (%s, %s) — strategy %s\n", p.Name, p.Region, p.Current.NotebookInstanceStatus, p.Strategy)
	for _, f := range p.Failing {
		fmt.Fprintf(w, "  fails: %s\n", f)
	}
	c := p.Current
	fmt.Fprintln(w, "  current configuration:")
	rows := [][2]string{
		{"InstanceType", c.InstanceType}, {"RoleArn", c.RoleArn},
		{"DirectInternetAccess", orNone(c.DirectInternetAccess)}, {"SubnetId", orNone(c.SubnetID)},
		{"SecurityGroupIds", list(c.SecurityGroupIDs)}, {"KmsKeyId", orNone(c.KmsKeyID)},
		{"VolumeSizeInGB", fmt.Sprint(c.VolumeSizeInGB)}, {"LifecycleConfigName", orNone(c.LifecycleConfigName)},
		{"DefaultCodeRepository", orNone(c.DefaultCodeRepository)}, {"AdditionalCodeRepositories", list(c.AdditionalCodeRepositories)},
		{"AcceleratorTypes", list(c.AcceleratorTypes)}, {"RootAccess", orNone(c.RootAccess)},
		{"PlatformIdentifier", orNone(c.PlatformIdentifier)}, {"IpAddressType", orNone(c.IPAddressType)},
	}
	imds := "(none)"
	if c.InstanceMetadataServiceConfiguration != nil {
		imds = "v" + c.InstanceMetadataServiceConfiguration.MinimumInstanceMetadataServiceVersion + " minimum"
	}
	rows = append(rows, [2]string{"InstanceMetadataService", imds})
	var tags []string
	for _, t := range p.Tags {
		tags = append(tags, t.Key+"="+t.Value)
	}
	rows = append(rows, [2]string{"Tags", list(tags)})
	for _, r := range rows {
		fmt.Fprintf(w, "    %-28s %s\n", r[0], r[1])
	}
	for _, what := range []string{"tags", "lifecycle_config"} {
		if msg, ok := p.ReadErrors[what]; ok {
			fmt.Fprintf(w, "  COULD NOT READ %s: %s (--apply will refuse)\n", what, msg)
		}
	}
	if p.Refusal != "" {
		fmt.Fprintf(w, "  REFUSED: %s\n\n", p.Refusal)
		return
	}
	fmt.Fprintf(w, "  target: subnet %s, security groups %s (%s)\n", p.Target.SubnetID, list(p.Target.SecurityGroupIDs), p.Target.Source)
	if len(p.DroppedTags) > 0 {
		fmt.Fprintf(w, "  note: reserved tags cannot be set again and are dropped: %s\n", strings.Join(p.DroppedTags, ", "))
	}
	fmt.Fprintln(w, "  steps:")
	for i, s := range p.Steps {
		mark := ""
		if s.Status == StepDone {
			mark = " [done: " + s.Note + "]"
		}
		fmt.Fprintf(w, "    %d. %s%s\n", i+1, s.Describe(), mark)
	}
	switch p.Strategy {
	case BlueGreen:
		fmt.Fprintf(w, "  %s is left Stopped: copy /home/ec2-user/SageMaker to %s, then delete %s yourself.\n\n", p.Name, p.NewName, p.Name)
	default:
		fmt.Fprintf(w, "  WARNING: deleting %s destroys its ML storage volume (/home/ec2-user/SageMaker). Back it up first, "+
			"or use --strategy blue-green.\n\n", p.Name)
	}
}

// WriteDomainPlan renders a domain plan for people.
func WriteDomainPlan(w io.Writer, d *DomainPlan) {
	fmt.Fprintf(w, "Domain %s (%s, %s, %s) — AppNetworkAccessType %s\n", d.DomainID, d.DomainName, d.Region, d.Status, d.AppNetworkAccessType)
	fmt.Fprintf(w, "    VpcId %s, SubnetIds %s\n", orNone(d.VpcID), list(d.SubnetIDs))
	if d.Refusal != "" {
		fmt.Fprintf(w, "  REFUSED: %s\n", d.Refusal)
		for _, a := range d.BlockingApps {
			fmt.Fprintf(w, "    app: %s\n", a)
		}
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintf(w, "  steps:\n    1. UpdateDomain DomainId=%s AppNetworkAccessType=VpcOnly (in place; no app is running)\n\n", d.DomainID)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "(none)"
	}
	return strings.Join(xs, ", ")
}
