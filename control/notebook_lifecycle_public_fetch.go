package control

import (
	"fmt"
	"strings"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/shellscan"
	"github.com/sagefence/sagefence/model"
)

// LifecyclePublicFetchID is the control's ID.
const LifecyclePublicFetchID = "sagemaker_notebook_instance_lifecycle_no_public_package_fetch"

var lifecyclePublicFetch = &Control{
	Doc: Doc{
		ID:       LifecyclePublicFetchID,
		Title:    "Lifecycle scripts of SageMaker notebooks without internet access should not fetch from the public internet",
		Severity: finding.Low,
		Kind:     "operability",
		Rationale: "A lifecycle configuration whose on_create/on_start script runs pip install from PyPI, conda install " +
			"from public channels, curl/wget of a public URL or git clone of GitHub deploys fine, but once the notebook " +
			"has no internet access (direct access disabled and no NAT route) those commands fail and the setup " +
			"silently does not happen, or the notebook fails to start after the 5-minute lifecycle timeout. Point " +
			"pip and conda at a private mirror or CodeArtifact, or give the subnet a NAT route. No peer scanner checks " +
			"this; it has no alias in other tools.",
		Checks: "Applies only to notebooks whose direct internet access is known to be exactly \"Disabled\". Decodes the " +
			"attached lifecycle configuration's on_create and on_start scripts (base64encode(...), filebase64(...), " +
			"base64encode(file(...)), base64encode(templatefile(...)), Fn::Base64, live Content) and scans them " +
			"parsed as bash (mvdan.cc/sh): every command counts wherever it is, in ;/&&/||/| chains, if/while/for/case arms, " +
			"functions, subshells, command and process substitutions (bash <(curl ...)), behind sudo/nohup/env/timeout " +
			"wrappers, in bash -c and su -c strings, and in here-documents (sudo -u ec2-user -i <<'EOF' ... EOF, with their " +
			"own line numbers). Public fetches: pip/pip3/python -m pip/pipx install without a private " +
			"--index-url/-i/--extra-index-url (a host other than pypi.org), earlier pip config set global.index-url, " +
			"pip.conf write, PIP_INDEX_URL or `aws codeartifact login --tool pip`; uv pip install/uv tool install/uvx " +
			"without a private --index-url/--default-index, UV_DEFAULT_INDEX/UV_INDEX_URL or uv.toml (uv reads no pip.conf); conda/mamba install/create without -c <private URL> --override-channels or " +
			"a private channel_alias/.condarc; curl/wget of a URL with a public host; git clone of a public host " +
			"(CodeCommit is fine); npm/yarn install and jupyter labextension install without a private registry; " +
			"apt-get install/update; yum/dnf install of a public URL (Amazon Linux repositories are served from S3 and " +
			"reachable through the S3 endpoint). Hosts count as private when they are private IPs, single-label names, " +
			"under .internal/.local/.corp/.lan/.intranet/.private/.home.arpa, or AWS service domains (*.amazonaws.com: " +
			"S3, CodeArtifact, CodeCommit through VPC endpoints); hosts from shell variables are not judged, and nothing " +
			"fetched through a private proxy (exported https_proxy/HTTP_PROXY/ALL_PROXY, --proxy, -x) counts. Fails " +
			"quoting each fetching line with its line number (and script file) when the notebook's subnet has no " +
			"0.0.0.0/0 route to a NAT gateway; passes when the scripts fetch nothing public, when a NAT route exists, " +
			"or when no lifecycle configuration is attached. Unknown when a script's content cannot be decoded or does not " +
			"parse as shell (naming the line; commands before that line are still judged), the lifecycle configuration " +
			"is not in this configuration, or the NAT question cannot be decided.",
		ResourceTypes: []string{"aws_sagemaker_notebook_instance + aws_sagemaker_notebook_instance_lifecycle_configuration",
			"AWS::SageMaker::NotebookInstance + AWS::SageMaker::NotebookInstanceLifecycleConfig", "live notebook instance and its lifecycle configuration"},
		// No peer tool has an equivalent check (peers.md), so there are no aliases.
		Aliases:    []Alias{},
		Frameworks: []finding.Framework{},
		Remediation: Remediation{
			Generic: "Point package managers at a private mirror before installing: `aws codeartifact login --tool pip " +
				"--domain D --domain-owner ACCOUNT --repository R` (needs the codeartifact.api, codeartifact.repositories " +
				"and sts interface endpoints), or `pip config set global.index-url https://mirror.example.internal/simple`, " +
				"or write /etc/pip.conf with index-url; for conda `conda config --set channel_alias https://mirror.example.internal` " +
				"or `conda install --override-channels -c https://mirror.example.internal/main ...`. Copy other files from S3 " +
				"(`aws s3 cp s3://bucket/...`) instead of curl/wget/git clone from public hosts, or use CodeCommit. " +
				"Alternatively give the notebook subnet a 0.0.0.0/0 route to a NAT gateway.",
			BySurface: map[string]string{
				model.SurfaceTerraform: "Edit the script behind on_create/on_start of aws_sagemaker_notebook_instance_lifecycle_configuration " +
					"(updated in place; the notebook is not replaced, the new script runs at the next start): add " +
					"`aws codeartifact login --tool pip ...` or `pip config set global.index-url https://<private mirror>/simple` " +
					"before pip install, use --override-channels -c <private channel> for conda, replace curl/wget/git clone of " +
					"public hosts with `aws s3 cp`. Or add a 0.0.0.0/0 aws_route to an aws_nat_gateway in the notebook subnet's route table.",
				model.SurfaceCloudFormation: "Edit the OnCreate/OnStart Content (Fn::Base64) of AWS::SageMaker::NotebookInstanceLifecycleConfig " +
					"(updated in place): log in to CodeArtifact or set a private pip index/conda channel_alias before installing, " +
					"copy files from S3 instead of public URLs. Or add an AWS::EC2::Route 0.0.0.0/0 → NatGatewayId.",
				model.SurfaceAWS: "aws sagemaker update-notebook-instance-lifecycle-config --notebook-instance-lifecycle-config-name NAME " +
					"--on-start Content=$(base64 -w0 fixed.sh) with a private index/mirror, then restart the notebook; or add a NAT route.",
			},
		},
		Example: map[string]string{
			"terraform": `resource "aws_sagemaker_notebook_instance_lifecycle_configuration" "setup" {
  name     = "private-setup"
  on_start = base64encode(<<-EOT
    #!/bin/bash
    set -e
    sudo -u ec2-user -i <<'EOF'
    aws codeartifact login --tool pip --domain ml --domain-owner 111122223333 --repository pypi-mirror
    pip install --quiet xgboost
    EOF
  EOT
  )
}`,
			"cloudformation": `SetupConfig:
  Type: AWS::SageMaker::NotebookInstanceLifecycleConfig
  Properties:
    OnStart:
      - Content: !Base64 |
          #!/bin/bash
          set -e
          sudo -u ec2-user -i <<'EOF'
          pip config set global.index-url https://pypi.mirror.example.internal/simple
          pip install --quiet xgboost
          EOF`,
		},
		HelpURI: "https://docs.aws.amazon.com/sagemaker/latest/dg/notebook-lifecycle-config.html",
	},
	Reads: networkReads(model.KindLifecycleConfig, model.KindSubnet, model.KindRouteTable, model.KindNATGateway),
	Check: checkLifecyclePublicFetch,
}

func checkLifecyclePublicFetch(p *Pass) {
	for nb := range p.Notebooks() {
		if !accessDisabled(nb) {
			continue
		}
		f := Verdict{Status: finding.Fail, Attribute: p.Attr(nb.Meta, model.FieldLifecycleConfigName),
			Expected: "no fetch from the public internet in the lifecycle scripts, or a NAT route"}
		judgeLifecycle(&f, p, nb)
		p.Report(nb.Meta, f)
	}
}

// scriptHit is a shellscan hit located in one hook's script.
type scriptHit struct {
	script model.Script
	hit    shellscan.Hit
}

func (h scriptHit) where() string {
	loc := h.script.Hook
	if h.script.File != "" {
		loc += " (" + h.script.File + ")"
	}
	return fmt.Sprintf("%s line %d", loc, h.hit.Line)
}

func judgeLifecycle(f *Verdict, p *Pass, nb *model.NotebookInstance) {
	set := p.Set
	name := nb.LifecycleConfigName
	unknown := f.Unknown
	f.Resolution = name.Resolution
	switch {
	case !name.Known():
		unknown(fmt.Sprintf("%s cannot be resolved (%s)", f.Attribute, name.Reason))
		return
	case name.Resolution == model.Default || (name.V == "" && name.Ref == ""):
		f.Status = finding.Pass
		observed := "none"
		f.Observed = &observed
		f.Message = "no lifecycle configuration is attached"
		return
	}
	lc := set.LifecycleConfigByID(name.Ref)
	if lc == nil && name.V != "" {
		if lc = set.LifecycleConfigByName(name.V); lc == nil {
			lc = set.LifecycleConfigByID(name.V)
		}
	}
	if lc == nil {
		unknown(fmt.Sprintf("lifecycle configuration %s is not in this configuration, so its scripts cannot be read; "+
			"`sagefence audit` reads them from the live account", name.Display()))
		return
	}
	var hits []scriptHit
	var undecoded []string
	unread := false // a script whose content is not known at all (not just unparsable)
	for _, s := range lc.Scripts {
		if s.Resolution == model.Unknown {
			unread = true
			why := s.Reason
			if why == "" {
				why = "content cannot be decoded"
			}
			undecoded = append(undecoded, fmt.Sprintf("%s of %s (%s)", s.Hook, lc.Address, why))
			continue
		}
		found, err := shellscan.Scan(s.Content)
		for _, h := range found {
			hits = append(hits, scriptHit{script: s, hit: h})
		}
		if err != nil {
			// A script bash cannot parse stops at the error: the commands
			// after it are not judged, so the script is never a silent pass.
			where := s.Hook
			if s.File != "" {
				where += " (" + s.File + ")"
			}
			undecoded = append(undecoded, fmt.Sprintf("%s of %s: %v, so the commands from there on cannot be judged", where, lc.Address, err))
		}
	}
	for _, h := range hits {
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s: %s [%s: %s]", h.where(), h.hit.Text, h.hit.Kind, h.hit.Detail))
	}
	if len(hits) == 0 {
		if len(undecoded) > 0 {
			// What a script that does not parse fetches matters only without
			// a NAT route. A script that could not be read at all stays
			// unknown: the read failure is reported, never passed over.
			if nat := lifecycleNAT(p, nb); !unread && nat.has == yes {
				f.Status = finding.Pass
				observed := "does not parse; NAT route"
				f.Observed = &observed
				f.Message = fmt.Sprintf("whatever the scripts of %s fetch from the public internet works because %s (not judged: %s)",
					lc.Address, nat.why, strings.Join(undecoded, "; "))
				return
			}
			unknown("the lifecycle script cannot be read: " + strings.Join(undecoded, "; "))
			return
		}
		f.Status = finding.Pass
		observed := "no public fetch"
		f.Observed = &observed
		f.Message = fmt.Sprintf("the scripts of %s fetch nothing from the public internet", lc.Address)
		return
	}
	first := hits[0]
	observed := fmt.Sprintf("%s: %s", first.where(), first.hit.Text)
	f.Observed = &observed
	quoted := quoteHits(hits)
	nat := lifecycleNAT(p, nb)
	switch nat.has {
	case yes:
		f.Status = finding.Pass
		f.Message = fmt.Sprintf("%s fetches from the public internet (%s), which works because %s", lc.Address, quoted, nat.why)
	case no:
		f.Message = fmt.Sprintf("%s fetches from the public internet, which fails without direct internet access and "+
			"without a NAT route (%s): %s", lc.Address, nat.why, quoted)
		if len(undecoded) > 0 {
			f.Message += "; not read: " + strings.Join(undecoded, "; ")
		}
	default:
		unknown(fmt.Sprintf("%s fetches from the public internet (%s), and whether the subnet has a NAT route cannot be decided: %s",
			lc.Address, quoted, nat.why))
	}
}

// lifecycleNAT says whether the notebook's fetches reach the internet
// through a NAT route.
func lifecycleNAT(p *Pass, nb *model.NotebookInstance) natPath {
	n := p.Network(nb)
	switch {
	case n.noSubnet:
		return natPath{has: no, why: "the notebook has no subnet"}
	case n.outside != "":
		return natPath{has: maybe, why: n.outside + " (" + outsideHint + ")"}
	}
	return n.nat
}

// quoteHits renders hits as `on_start line 4: "pip install x" (pip install)`.
func quoteHits(hits []scriptHit) string {
	parts := make([]string, 0, len(hits))
	for _, h := range hits {
		parts = append(parts, fmt.Sprintf("%s: %q (%s)", h.where(), h.hit.Text, h.hit.Kind))
	}
	return strings.Join(parts, "; ")
}
