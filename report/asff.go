package report

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// ASFF writes the findings in the AWS Security Finding Format (schema
// 2018-10-08) as a JSON array, ready for BatchImportFindings (see
// integrations/securityhub). One ASFF finding per sagefence finding:
//
//	status      Compliance.Status  Workflow.Status  Severity.Label
//	fail        FAILED             NEW              the control's (HIGH/MEDIUM/LOW)
//	pass        PASSED             RESOLVED         INFORMATIONAL
//	unknown     WARNING (IaC: information is missing to decide)
//	            NOT_AVAILABLE (live: the check could not be performed)
//	                               NEW              the control's
//	suppressed  FAILED             SUPPRESSED       the control's
//
// A suppressed finding still violates the control, so it is FAILED with
// the workflow set to SUPPRESSED and the reason in a note, as Security Hub
// itself records a suppressed control failure.
//
// Ids are stable across runs: "sagefence/<control>/<hash of the finding
// Key>". Findings from files have no account or region of their own; they
// take Account and Region from the options (scan's --account and --region),
// else "000000000000" and "us-east-1" — set them before importing, since
// Security Hub accepts findings only for the caller's account and region.
type ASFF struct {
	Account string
	Region  string
}

// Placeholders for IaC findings when no account or region was given.
const (
	placeholderAccount = "000000000000"
	placeholderRegion  = "us-east-1"
	asffType           = "Software and Configuration Checks/AWS Security Best Practices"
)

// ASFFFinding is one AWS Security Finding Format record; field names are
// the format's own.
type ASFFFinding struct {
	SchemaVersion string            `json:"SchemaVersion"`
	Id            string            `json:"Id"`
	ProductArn    string            `json:"ProductArn"`
	GeneratorId   string            `json:"GeneratorId"`
	AwsAccountId  string            `json:"AwsAccountId"`
	Region        string            `json:"Region,omitempty"`
	Types         []string          `json:"Types"`
	CreatedAt     string            `json:"CreatedAt"`
	UpdatedAt     string            `json:"UpdatedAt"`
	Severity      ASFFSeverity      `json:"Severity"`
	Title         string            `json:"Title"`
	Description   string            `json:"Description"`
	Remediation   *ASFFRemediation  `json:"Remediation,omitempty"`
	ProductFields map[string]string `json:"ProductFields,omitempty"`
	Resources     []ASFFResource    `json:"Resources"`
	Compliance    ASFFCompliance    `json:"Compliance"`
	Workflow      ASFFWorkflow      `json:"Workflow"`
	RecordState   string            `json:"RecordState"`
	Note          *ASFFNote         `json:"Note,omitempty"`
}

// ASFFSeverity is the finding's severity.
type ASFFSeverity struct {
	Label    string `json:"Label"`
	Original string `json:"Original,omitempty"`
}

// ASFFRemediation carries the fix.
type ASFFRemediation struct {
	Recommendation ASFFRecommendation `json:"Recommendation"`
}

// ASFFRecommendation is the fix text and a link.
type ASFFRecommendation struct {
	Text string `json:"Text"`
	Url  string `json:"Url,omitempty"`
}

// ASFFResource is the resource a finding is about.
type ASFFResource struct {
	Type      string               `json:"Type"`
	Id        string               `json:"Id"`
	Partition string               `json:"Partition"`
	Region    string               `json:"Region"`
	Tags      map[string]string    `json:"Tags,omitempty"`
	Details   *ASFFResourceDetails `json:"Details,omitempty"`
}

// ASFFResourceDetails holds the typed details sagefence knows.
type ASFFResourceDetails struct {
	AwsSageMakerNotebookInstance *ASFFNotebookDetails `json:"AwsSageMakerNotebookInstance,omitempty"`
	Other                        map[string]string    `json:"Other,omitempty"`
}

// ASFFNotebookDetails is AwsSageMakerNotebookInstanceDetails, the fields a
// finding can fill.
type ASFFNotebookDetails struct {
	DirectInternetAccess string   `json:"DirectInternetAccess,omitempty"`
	NotebookInstanceArn  string   `json:"NotebookInstanceArn,omitempty"`
	NotebookInstanceName string   `json:"NotebookInstanceName,omitempty"`
	SecurityGroups       []string `json:"SecurityGroups,omitempty"`
	SubnetId             string   `json:"SubnetId,omitempty"`
}

// ASFFCompliance is the control's verdict and the requirements it maps to.
type ASFFCompliance struct {
	Status              string   `json:"Status"`
	RelatedRequirements []string `json:"RelatedRequirements,omitempty"`
}

// ASFFWorkflow is the finding's workflow state.
type ASFFWorkflow struct {
	Status string `json:"Status"`
}

// ASFFNote is a free-text note (used for suppression reasons).
type ASFFNote struct {
	Text      string `json:"Text"`
	UpdatedBy string `json:"UpdatedBy"`
	UpdatedAt string `json:"UpdatedAt"`
}

// Format implements Formatter.
// The array is written finding by finding as they are read (a streamed
// result's are never all in memory), in the bytes json.Encoder with two
// spaces of indent would give the whole array (TestASFFStreamMatchesEncoder).
func (a ASFF) Format(w io.Writer, r *finding.Result) error {
	s := newJSONStream(w)
	at := a.observedAt(r)
	streamArray(s, r, "", func(f *finding.Finding) (any, bool) { return a.finding(*f, at), true })
	s.raw("\n")
	return s.flush()
}

// streamsFindings: ASFF converts each finding as it reads it
// (StreamsFindings).
func (ASFF) streamsFindings() {}

// Findings converts a result whose findings are in memory (Materialize a
// streamed one first); the slice is never nil.
func (a ASFF) Findings(r *finding.Result) []ASFFFinding {
	at := a.observedAt(r)
	out := make([]ASFFFinding, 0, len(r.Findings))
	for _, f := range r.Findings {
		out = append(out, a.finding(f, at))
	}
	return out
}

// observedAt is the time the findings were observed: the scan's.
func (ASFF) observedAt(r *finding.Result) string {
	if r.Scope != nil {
		return r.Scope.Time
	}
	return ""
}

func (a ASFF) finding(f finding.Finding, at string) ASFFFinding {
	account, region := f.Resource.Account, f.Resource.Region
	if account == "" {
		account = cmp.Or(a.Account, placeholderAccount)
	}
	if region == "" {
		region = cmp.Or(a.Region, placeholderRegion)
	}
	partition := partitionOf(region)
	// securityHubControl is the equivalent Security Hub control (SageMaker.1),
	// recorded as a product field: Compliance.SecurityControlId belongs to
	// findings Security Hub's own controls generate.
	title, helpURI, securityHubControl := f.ControlID, "", ""
	if c, ok := control.Lookup(f.ControlID); ok {
		title, helpURI = c.Title, c.HelpURI
		for _, al := range c.Aliases {
			if strings.HasPrefix(al.ID, "SageMaker.") {
				securityHubControl = al.ID
			}
		}
	}
	out := ASFFFinding{
		SchemaVersion: "2018-10-08",
		Id:            "sagefence/" + f.ControlID + "/" + fingerprint(f),
		ProductArn:    fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", partition, region, account, account),
		GeneratorId:   f.ControlID,
		AwsAccountId:  account,
		Region:        region,
		Types:         []string{asffType},
		CreatedAt:     at,
		UpdatedAt:     at,
		Severity:      ASFFSeverity{Label: strings.ToUpper(string(f.Severity)), Original: string(f.Severity)},
		Title:         truncate(title, 256),
		Description:   truncate(asffDescription(f), 1024),
		ProductFields: map[string]string{
			"sagefence/ControlId":  f.ControlID,
			"sagefence/Status":     string(f.Status),
			"sagefence/Surface":    f.Surface,
			"sagefence/Resolution": string(f.Resolution),
		},
		Resources:   []ASFFResource{asffResource(f, partition, region)},
		Compliance:  ASFFCompliance{Status: complianceStatus(f), RelatedRequirements: relatedRequirements(f.Frameworks)},
		Workflow:    ASFFWorkflow{Status: workflowStatus(f.Status)},
		RecordState: "ACTIVE",
	}
	if securityHubControl != "" {
		out.ProductFields["sagefence/SecurityHubControl"] = securityHubControl
	}
	if f.Location.File != "" {
		out.ProductFields["sagefence/File"] = slashPath(f.Location.File)
		if f.Location.StartLine > 0 {
			out.ProductFields["sagefence/Line"] = fmt.Sprint(f.Location.StartLine)
		}
	}
	if f.Status == finding.Pass {
		out.Severity.Label = "INFORMATIONAL"
	}
	if f.Remediation != "" {
		out.Remediation = &ASFFRemediation{Recommendation: ASFFRecommendation{Text: truncate(f.Remediation, 512), Url: helpURI}}
	}
	if f.Status == finding.Suppressed && f.Suppression != nil {
		out.Note = &ASFFNote{Text: truncate("Suppressed by "+suppressionText(f.Suppression), 512), UpdatedBy: "sagefence", UpdatedAt: at}
	}
	return out
}

func asffDescription(f finding.Finding) string {
	d := f.Message
	if f.Attribute != "" {
		d += fmt.Sprintf(" [%s = %s (%s); expected %s]", f.Attribute, observedText(f), f.Resolution, f.Expected)
	}
	if f.Location.File != "" {
		d += " at " + place(f)
	}
	return d
}

func asffResource(f finding.Finding, partition, region string) ASFFResource {
	res := ASFFResource{Type: "Other", Id: f.Resource.ARN, Partition: partition, Region: region}
	if res.Id == "" {
		res.Id = f.Resource.Address
		if f.Location.File != "" {
			res.Id = slashPath(f.Location.File) + "#" + f.Resource.Address
		}
	}
	if isNotebookType(f.Resource.Type) {
		res.Type = "AwsSageMakerNotebookInstance"
		nb := &ASFFNotebookDetails{NotebookInstanceName: f.Resource.Name, NotebookInstanceArn: f.Resource.ARN}
		if f.Observed != nil {
			switch strings.ToLower(f.Attribute) {
			case "direct_internet_access", "directinternetaccess":
				nb.DirectInternetAccess = *f.Observed
			case "subnet_id", "subnetid":
				nb.SubnetId = *f.Observed
			}
		}
		res.Details = &ASFFResourceDetails{AwsSageMakerNotebookInstance: nb}
		return res
	}
	other := map[string]string{"Address": f.Resource.Address}
	if f.Resource.Type != "" {
		other["ResourceType"] = f.Resource.Type
	}
	if f.Resource.Name != "" {
		other["Name"] = f.Resource.Name
	}
	res.Details = &ASFFResourceDetails{Other: other}
	return res
}

// isNotebookType matches the notebook instance type on every surface, not
// its lifecycle configuration.
func isNotebookType(t string) bool {
	l := strings.ToLower(t)
	return strings.Contains(l, "notebook") && strings.Contains(l, "instance") && !strings.Contains(l, "lifecycle")
}

func complianceStatus(f finding.Finding) string {
	switch f.Status {
	case finding.Pass:
		return "PASSED"
	case finding.Fail, finding.Suppressed:
		return "FAILED"
	}
	if f.Surface == model.SurfaceAWS {
		return "NOT_AVAILABLE"
	}
	return "WARNING"
}

func workflowStatus(s finding.Status) string {
	switch s {
	case finding.Pass:
		return "RESOLVED"
	case finding.Suppressed:
		return "SUPPRESSED"
	}
	return "NEW"
}

// relatedRequirements renders "NIST SP 800-53 Rev 5 SC-7" style entries;
// Security Hub accepts at most 32.
func relatedRequirements(fws []finding.Framework) []string {
	refs := frameworkRefs(fws)
	if len(refs) > 32 {
		refs = refs[:32]
	}
	return refs
}

func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// truncate shortens s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
