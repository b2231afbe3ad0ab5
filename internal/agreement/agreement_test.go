package agreement_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/casespec"
	"github.com/sagefence/sagefence/internal/testutil"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
)

// verdict is what one scan says about one (control, address).
type verdict struct {
	Status   finding.Status
	Observed *string
}

// verdicts maps "control address" to the verdict.
type verdicts map[string]verdict

func vkey(controlID, address string) string { return controlID + " " + address }

// plannedAttr says which attribute of which resource type (b) compares, and
// the control whose observed value it is.
var plannedAttr = map[string]struct{ attr, controlID string }{
	"aws_sagemaker_notebook_instance": {"direct_internet_access", control.DirectInternetAccessID},
	"aws_sagemaker_domain":            {"app_network_access_type", control.DomainVpcOnlyID},
}

// comparedControls are the controls whose statuses check (c) compares:
// every control of the catalog.
var comparedControls = func() []string {
	var ids []string
	for _, c := range control.All() {
		ids = append(ids, c.ID)
	}
	return ids
}()

// now fixes suppression expiry so that both scans judge it the same way.
var now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func TestTerraformAgreement(t *testing.T) {
	tf := testutil.RequireTool(t, "terraform")
	plugins := testutil.TerraformPluginDir(t)
	specs, err := casespec.Glob("../../testdata/cases", "tf-*", "pitfall-tf-*")
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) == 0 {
		t.Fatal("no tf-* cases under testdata/cases")
	}
	useExpected := os.Getenv("SAGEFENCE_AGREEMENT_REFERENCE") == "expected"
	all := allAgreementCases()
	shared := sharedProviders(t, tf, plugins)
	// terraform is CPU-heavy: a few cases at a time.
	sem := make(chan struct{}, min(runtime.NumCPU(), 4))
	for i, specPath := range specs {
		dir, err := filepath.Abs(filepath.Dir(specPath))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			if !all && i%sampleEvery != 0 {
				t.Skipf("planned only with %s=all or CI=true (a plain `go test` plans every %dth case to stay "+
					"within the default 10-minute timeout)", agreementEnv, sampleEvery)
			}
			t.Parallel()
			spec := readSpec(t, specPath)
			if spec.SkipTerraform != "" {
				t.Skipf("skip_terraform: %s", spec.SkipTerraform)
			}
			sem <- struct{}{}
			defer func() { <-sem }()
			checkCase(t, tf, plugins, shared, dir, spec, useExpected)
		})
	}
}

// agreementEnv selects how many cases TestTerraformAgreement plans: "all"
// plans every case (CI=true implies it; `make test` sets it). Otherwise
// every sampleEvery-th case is planned, so that a plain `go test ./...`
// ends within Go's default 10-minute timeout; the others are skipped with
// the reason.
const (
	agreementEnv = "SAGEFENCE_AGREEMENT"
	sampleEvery  = 4
)

func allAgreementCases() bool {
	return os.Getenv(agreementEnv) == "all" || testutil.InCI()
}

func readSpec(t *testing.T, path string) casespec.Spec {
	t.Helper()
	spec, err := casespec.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// checkCase plans every root module of the case and compares.
func checkCase(t *testing.T, tf, plugins, shared, dir string, spec casespec.Spec, useExpected bool) {
	ctx := t.Context()
	paths := spec.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	work := t.TempDir()
	if err := copyTree(dir, work); err != nil {
		t.Fatalf("copying the case: %v", err)
	}
	roots := 0
	for _, p := range paths {
		if !hasTF(filepath.Join(dir, p)) {
			continue
		}
		roots++
		planJSON, err := planRoot(ctx, tf, plugins, shared, work, filepath.Join(work, p), spec)
		if err != nil {
			t.Errorf("(a) terraform plan of %s failed: %v", p, err)
			continue
		}
		planFile := filepath.Join(work, p, "sagefence-plan.json")
		if err := os.WriteFile(planFile, planJSON, 0o644); err != nil {
			t.Fatal(err)
		}
		var source verdicts
		if useExpected {
			source = expectedVerdicts(spec)
		} else {
			source = scanVerdicts(t, ctx, filepath.Join(dir, p), model.SurfaceTerraform, spec, dir)
			if len(source) == 0 && len(expectedVerdicts(spec)) > 0 {
				t.Errorf("the source scan of %s gave no finding of the compared controls, but expected.json lists %d: "+
					"is the Terraform surface wired into engine.Scan?", p, len(expectedVerdicts(spec)))
				continue
			}
		}
		planned, err := plannedValues(planJSON)
		if err != nil {
			t.Fatalf("reading the plan of %s: %v", p, err)
		}
		compareValues(t, p, planned, source)
		compareStatuses(t, p, scanVerdicts(t, ctx, planFile, model.SurfaceTerraformPlan, spec, dir), source)
	}
	if roots == 0 {
		t.Fatalf("no Terraform root module among the case's paths %v", paths)
	}
}

// moduleCall finds module blocks, which need `terraform get`.
var moduleCall = regexp.MustCompile(`(?m)^\s*module\s+"|"module"\s*:`)

// terraformEnv is the environment of every terraform command of the tests.
func terraformEnv() []string {
	return append(os.Environ(), "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1", "TF_CLI_ARGS=")
}

// initRoot prepares a root module for plan. `terraform init` verifies the
// provider package's checksum (hundreds of megabytes) every time, so roots
// share one installation (shared, from sharedProviders): they get its
// provider links and lock file, plus `terraform get` when they call modules.
// A root with a lock file of its own gets a full init.
func initRoot(root, plugins, shared string, run func(args ...string) ([]byte, error)) error {
	if _, err := os.Stat(filepath.Join(root, ".terraform.lock.hcl")); err == nil || shared == "" {
		_, err := run("init", "-input=false", "-no-color", "-plugin-dir="+plugins)
		return err
	}
	if err := linkTree(filepath.Join(shared, ".terraform", "providers"), filepath.Join(root, ".terraform", "providers")); err != nil {
		return err
	}
	lock, err := os.ReadFile(filepath.Join(shared, ".terraform.lock.hcl"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, ".terraform.lock.hcl"), lock, 0o644); err != nil {
		return err
	}
	calls, err := callsModules(root)
	if err != nil || !calls {
		return err
	}
	_, err = run("get", "-no-color")
	return err
}

// sharedProviders runs `terraform init` once, in a directory of the test,
// for initRoot to share.
func sharedProviders(t *testing.T, tf, plugins string) string {
	t.Helper()
	dir := t.TempDir()
	body := "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\" }\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), tf, "init", "-input=false", "-no-color", "-plugin-dir="+plugins)
	cmd.Dir = dir
	cmd.Env = terraformEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("terraform init of the shared provider directory: %v\n%s", err, out)
	}
	return dir
}

// linkTree recreates src under dst: directories, symbolic links (the
// provider installation links into the mirror) and regular files.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, b, 0o644)
		}
		return nil
	})
}

// callsModules reports whether a root's .tf or .tf.json files call a module.
func callsModules(root string) (bool, error) {
	for _, pattern := range []string{"*.tf", "*.tf.json"} {
		files, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			return false, err
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return false, err
			}
			if moduleCall.Match(b) {
				return true, nil
			}
		}
	}
	return false, nil
}

var awsProvider = regexp.MustCompile(`(?m)^\s*provider\s+"aws"\s*\{`)

// providerBlock lets the offline provider plan without credentials.
const providerSettings = `  access_key                  = "AKIAIOSFODNN7EXAMPLE"
  secret_key                  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
`

// planRoot runs init, plan and show -json in a root module (inside the
// case's copy work) and returns the plan JSON. Var files are relative to the
// case directory, as for the scan.
func planRoot(ctx context.Context, tf, plugins, shared, work, root string, spec casespec.Spec) ([]byte, error) {
	hasProvider, err := hasAWSProvider(root)
	if err != nil {
		return nil, err
	}
	// A case without a provider block gets one; a case with one keeps its
	// settings (region, aliases) and gets the credential skips through an
	// override file, which Terraform merges into the existing block.
	file, body := "zz_sagefence_provider.tf", "provider \"aws\" {\n  region = \"us-east-1\"\n"+providerSettings+"}\n"
	if hasProvider {
		file, body = "zz_sagefence_override.tf", "provider \"aws\" {\n"+providerSettings+"}\n"
	}
	if err := os.WriteFile(filepath.Join(root, file), []byte(body), 0o644); err != nil {
		return nil, err
	}
	env := terraformEnv()
	for k, v := range spec.Args.Env {
		env = append(env, k+"="+v)
	}
	run := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, tf, args...)
		cmd.Dir = root
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("terraform %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return stdout.Bytes(), nil
	}
	if err := initRoot(root, plugins, shared, run); err != nil {
		return nil, err
	}
	planArgs := []string{"plan", "-input=false", "-no-color", "-refresh=false", "-lock=false", "-out=sagefence.tfplan"}
	for _, vf := range spec.Args.VarFiles {
		if !filepath.IsAbs(vf) {
			vf = filepath.Join(work, vf)
		}
		planArgs = append(planArgs, "-var-file="+vf)
	}
	declared, err := declaredVariables(root)
	if err != nil {
		return nil, err
	}
	for _, v := range spec.Args.Vars {
		// sagefence ignores --var for an undeclared variable; terraform
		// rejects it. Pass only the declared ones, so both read the same inputs.
		if name, _, _ := strings.Cut(v, "="); declared[name] {
			planArgs = append(planArgs, "-var="+v)
		}
	}
	if _, err := run(planArgs...); err != nil {
		return nil, err
	}
	return run("show", "-json", "sagefence.tfplan")
}

// scanVerdicts scans path with sagefence and keeps the compared controls'
// verdicts of one surface. A suppressed finding counts as the fail it waives
// (a plan carries no suppressions).
func scanVerdicts(t *testing.T, ctx context.Context, path, surfaceName string, spec casespec.Spec, caseDir string) verdicts {
	t.Helper()
	controls, err := control.Select(comparedControls)
	if err != nil {
		t.Fatal(err)
	}
	var varFiles []string
	for _, vf := range spec.Args.VarFiles {
		if !filepath.IsAbs(vf) {
			vf = filepath.Join(caseDir, vf)
		}
		varFiles = append(varFiles, vf)
	}
	env := spec.Args.Env
	res := engine.Scan(ctx, []string{path}, engine.Options{
		Options: surface.Options{
			VarInputs: surface.VarFilesThenVars(varFiles, spec.Args.Vars),
			Getenv:    func(k string) string { return env[k] },
		},
		Controls: controls,
		Now:      now,
	})
	for _, e := range res.Errors {
		if surfaceName == model.SurfaceTerraformPlan || !spec.ExpectsError(e) {
			t.Errorf("scanning %s: %s", path, e.Error())
		}
	}
	out := verdicts{}
	for _, f := range res.Findings {
		if f.Surface != surfaceName {
			continue
		}
		st := f.Status
		if st == finding.Suppressed {
			st = finding.Fail
		}
		out[vkey(f.ControlID, f.Resource.Address)] = verdict{Status: st, Observed: f.Observed}
	}
	return out
}

// expectedVerdicts reads the compared controls' verdicts from expected.json.
func expectedVerdicts(spec casespec.Spec) verdicts {
	out := verdicts{}
	for _, f := range spec.Findings {
		if !slices.Contains(comparedControls, f.ControlID) {
			continue
		}
		st := finding.Status(f.Status)
		if st == finding.Suppressed {
			st = finding.Fail
		}
		out[vkey(f.ControlID, f.Address)] = verdict{Status: st, Observed: f.Observed}
	}
	return out
}

// planned is the value Terraform plans for a compared attribute; nil when
// it is known only after apply.
type planned struct {
	controlID string
	attr      string
	value     *string
}

// plannedValues reads the compared attributes straight from the plan JSON
// with terraform-json, independently of sagefence's plan surface.
func plannedValues(planJSON []byte) (map[string]planned, error) {
	var plan tfjson.Plan
	if err := json.Unmarshal(planJSON, &plan); err != nil {
		return nil, err
	}
	out := map[string]planned{}
	for _, rc := range plan.ResourceChanges {
		pa, ok := plannedAttr[rc.Type]
		if !ok || rc.Mode != tfjson.ManagedResourceMode || rc.Change == nil || rc.Change.Actions.Delete() || rc.DeposedKey != "" {
			continue
		}
		p := planned{controlID: pa.controlID, attr: pa.attr}
		after, _ := rc.Change.After.(map[string]any)
		unknown, _ := rc.Change.AfterUnknown.(map[string]any)
		if u, _ := unknown[pa.attr].(bool); !u {
			if s, ok := after[pa.attr].(string); ok {
				p.value = &s
			} else {
				empty := ""
				p.value = &empty
			}
		}
		out[rc.Address] = p
	}
	return out, nil
}

// compareValues is check (b).
func compareValues(t *testing.T, root string, plan map[string]planned, source verdicts) {
	t.Helper()
	for _, addr := range sortedKeys(plan) {
		p := plan[addr]
		v, ok := source[vkey(p.controlID, addr)]
		switch {
		case !ok:
			t.Errorf("(b) %s: terraform plans %s but the source scan has no %s finding for it", root, addr, p.controlID)
		case p.value == nil && v.Status != finding.Unknown:
			t.Errorf("(b) %s: %s.%s is known only after apply in the plan, but the source scan resolved it (%s, observed %s)",
				root, addr, p.attr, v.Status, show(v.Observed))
		case p.value != nil && (v.Observed == nil || *v.Observed != *p.value):
			t.Errorf("(b) %s: %s.%s: terraform plans %q, sagefence resolved %s from the source (%s)",
				root, addr, p.attr, *p.value, show(v.Observed), v.Status)
		}
	}
	for _, k := range sortedKeys(source) {
		controlID, addr, _ := strings.Cut(k, " ")
		if controlID != control.DirectInternetAccessID && controlID != control.DomainVpcOnlyID {
			continue
		}
		if _, ok := plan[addr]; !ok {
			t.Errorf("(b) %s: the source scan reports %s (%s) but terraform plans no such resource", root, addr, controlID)
		}
	}
}

// compareStatuses is check (c).
func compareStatuses(t *testing.T, root string, plan, source verdicts) {
	t.Helper()
	keys := map[string]bool{}
	for k := range plan {
		keys[k] = true
	}
	for k := range source {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		p, inPlan := plan[k]
		s, inSource := source[k]
		switch {
		case !inPlan:
			t.Errorf("(c) %s: %s is %s from the source but has no finding from the plan", root, k, s.Status)
		case !inSource:
			t.Errorf("(c) %s: %s is %s from the plan but has no finding from the source", root, k, p.Status)
		case p.Status != s.Status:
			t.Errorf("(c) %s: %s: source %s (observed %s), plan %s (observed %s)", root, k, s.Status, show(s.Observed), p.Status, show(p.Observed))
		}
	}
}

func show(s *string) string {
	if s == nil {
		return "null"
	}
	return fmt.Sprintf("%q", *s)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func hasTF(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".tf") || strings.HasSuffix(e.Name(), ".tf.json")) {
			return true
		}
	}
	return false
}

var variableBlock = regexp.MustCompile(`(?m)^\s*variable\s+"([^"]+)"`)

// declaredVariables lists the variables a root module declares, in .tf and
// .tf.json files.
func declaredVariables(dir string) (map[string]bool, error) {
	declared := map[string]bool{}
	for _, pattern := range []string{"*.tf", "*.tf.json"} {
		files, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			if strings.HasSuffix(f, ".tf") {
				for _, m := range variableBlock.FindAllSubmatch(b, -1) {
					declared[string(m[1])] = true
				}
				continue
			}
			var doc struct {
				Variable map[string]json.RawMessage `json:"variable"`
			}
			if json.Unmarshal(b, &doc) == nil {
				for name := range doc.Variable {
					declared[name] = true
				}
			}
		}
	}
	return declared, nil
}

// hasAWSProvider reports whether a root module configures the aws provider,
// in a .tf file or a .tf.json file.
func hasAWSProvider(dir string) (bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return false, err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return false, err
		}
		if awsProvider.Match(b) {
			return true, nil
		}
	}
	jsonFiles, err := filepath.Glob(filepath.Join(dir, "*.tf.json"))
	if err != nil {
		return false, err
	}
	for _, f := range jsonFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return false, err
		}
		var doc struct {
			Provider json.RawMessage `json:"provider"`
		}
		if json.Unmarshal(b, &doc) != nil || len(doc.Provider) == 0 {
			continue
		}
		// provider is {"aws": {...}} or [{"aws": {...}}, ...].
		var one map[string]json.RawMessage
		var many []map[string]json.RawMessage
		if json.Unmarshal(doc.Provider, &one) == nil && one["aws"] != nil {
			return true, nil
		}
		if json.Unmarshal(doc.Provider, &many) == nil {
			for _, m := range many {
				if m["aws"] != nil {
					return true, nil
				}
			}
		}
	}
	return false, nil
}

// copyTree copies a case directory, without Terraform's working files.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if d.Name() == ".terraform" || d.Name() == ".git" {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
