// Package config reads `.sagefence.yaml`, the project's configuration file:
// which controls run, severity overrides, suppressions with a reason and an
// optional expiry, Terraform variables and var files, CloudFormation
// parameters, the default output format and whether runs are recorded in
// the evidence store (record, store).
//
// Contract:
//   - Discover looks for .sagefence.yaml (or .sagefence.yml) in the scan root
//     (the first path argument, or its directory when it is a file) and then
//     in each parent up to the repository root (the directory holding .git);
//     outside a repository only in the scan root itself. `--config FILE`
//     names the file instead. The report names the file used (scope.config).
//   - Load rejects unknown keys, unknown controls, bad severities, bad dates
//     and suppressions without a reason; every error is a *Error naming the
//     file and line.
//   - Relative var files, and a relative SQLite store path, are relative to
//     the configuration file's directory; a postgres:// URL is kept as is.
//
// Example:
//
//	format: sarif
//	controls:
//	  sagemaker_domain_vpc_only: false      # off; IDs or aliases
//	severity:
//	  sagemaker_notebook_instance_in_vpc: medium
//	suppressions:
//	  - control: CKV_AWS_122
//	    resource: "module.legacy.*"
//	    reason: vendor notebook in an isolated account, ticket SEC-123
//	    expires: 2027-03-31
//	var_files: [env/prod.tfvars]
//	vars:
//	  internet_access: Disabled
//	parameters:
//	  Access: Disabled
//	record: true                            # as --record on scan and audit
//	store: .sagefence/evidence.db           # as --store (or postgres://...)
//	exclude: [examples, "legacy/**"]        # as --skip-path on scan
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/evidence"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/safefs"
)

// FileNames are the names Discover looks for, in order.
var FileNames = []string{".sagefence.yaml", ".sagefence.yml"}

// Config is a parsed configuration file.
type Config struct {
	// Path is the file it was read from.
	Path string
	// Format is the default output format ("" when not set).
	Format string
	// Disabled lists the IDs of controls switched off.
	Disabled []string
	// Severity overrides a control's severity, by control ID.
	Severity map[string]finding.Severity
	// Suppressions apply to every matching resource.
	Suppressions []engine.ConfigSuppression
	// VarFiles are absolute or relative to the working directory (already
	// resolved against the configuration file's directory).
	VarFiles []string
	// Vars are NAME=VALUE Terraform variables, sorted by name.
	Vars []string
	// Parameters are CloudFormation parameters.
	Parameters map[string]string
	// Record asks scan and audit to record every run in the evidence store
	// (as --record; an explicit --record=false wins).
	Record bool
	// Store is the evidence store's location (as --store): a postgres:// URL,
	// or a SQLite path already resolved against the file's directory. ""
	// when not set.
	Store string
	// Exclude lists path globs scan leaves out, as --skip-path does (see
	// engine.PathFilter); patterns with a slash may also be relative to the
	// configuration file's directory.
	Exclude []string
}

// Error is a configuration error at a file and line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// Discover returns the configuration file that applies to a scan root, or
// "" when there is none. It looks in the scan root (its directory when it
// is a file) and its parents up to the repository root (the nearest
// directory holding .git) and never above it; outside a repository only the
// scan root itself is searched, so a file in some parent directory the
// repository does not own is never applied.
func Discover(root string) (string, error) {
	dir, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("locating the configuration file: %w", err)
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	top, _ := safefs.RepoRoot(dir)
	for {
		for _, name := range FileNames {
			p := filepath.Join(dir, name)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, nil
			}
		}
		if dir == top {
			return "", nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

// Load reads and validates a configuration file.
func Load(path string) (*Config, error) {
	raw, err := safefs.ReadFileLimit(path, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("reading configuration %s: %s", path, safefs.Describe(err))
	}
	return Parse(path, raw)
}

// Parse validates configuration text; path names it in errors and anchors
// relative var files.
func Parse(path string, raw []byte) (*Config, error) {
	cfg := &Config{Path: path, Severity: map[string]finding.Severity{}, Parameters: map[string]string{}}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, nil // an empty file configures nothing
		}
		return nil, &Error{File: path, Line: yamlErrorLine(err), Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	p := parser{file: path}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return cfg, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, p.errf(root, "expected a mapping of settings (%s)", knownSettings)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		var err error
		switch key.Value {
		case "format":
			cfg.Format, err = p.scalar(val)
		case "controls":
			cfg.Disabled, err = p.controls(val)
		case "severity":
			err = p.severity(val, cfg.Severity)
		case "suppressions":
			cfg.Suppressions, err = p.suppressions(val)
		case "var_files":
			var files []string
			files, err = p.strings(val)
			for _, f := range files {
				if !filepath.IsAbs(f) {
					f = filepath.Join(filepath.Dir(path), f)
				}
				cfg.VarFiles = append(cfg.VarFiles, f)
			}
		case "vars":
			var m map[string]string
			m, err = p.stringMap(val)
			for _, k := range sortedKeys(m) {
				cfg.Vars = append(cfg.Vars, k+"="+m[k])
			}
		case "parameters":
			cfg.Parameters, err = p.stringMap(val)
		case "record":
			cfg.Record, err = p.boolean(val)
		case "store":
			cfg.Store, err = p.store(val)
		case "exclude":
			cfg.Exclude, err = p.strings(val)
		default:
			err = p.errf(key, "unknown setting %q (known: %s)", key.Value, knownSettings)
		}
		if err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// knownSettings lists the top-level keys, for error messages.
const knownSettings = "format, controls, severity, suppressions, var_files, vars, parameters, record, store, exclude"

type parser struct{ file string }

// boolean reads a YAML boolean (true/false).
func (p parser) boolean(n *yaml.Node) (bool, error) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		return false, p.errf(n, "expected true or false")
	}
	return b, nil
}

// store reads the evidence store's location: a postgres:// URL is kept, a
// SQLite path (optionally sqlite://) is anchored at the file's directory.
func (p parser) store(n *yaml.Node) (string, error) {
	v, err := p.scalar(n)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(v) == "" {
		return "", p.errf(n, "store: expected a SQLite path or a postgres:// URL")
	}
	if evidence.IsPostgres(v) {
		return v, nil
	}
	path := strings.TrimPrefix(v, "sqlite://")
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(p.file), path)
	}
	return path, nil
}

func (p parser) errf(n *yaml.Node, format string, args ...any) error {
	return &Error{File: p.file, Line: n.Line, Msg: fmt.Sprintf(format, args...)}
}

func (p parser) scalar(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", p.errf(n, "expected a single value")
	}
	return n.Value, nil
}

func (p parser) strings(n *yaml.Node) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errf(n, "expected a list")
	}
	var out []string
	for _, item := range n.Content {
		s, err := p.scalar(item)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (p parser) stringMap(n *yaml.Node) (map[string]string, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, "expected a mapping of names to values")
	}
	m := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		v, err := p.scalar(n.Content[i+1])
		if err != nil {
			return nil, err
		}
		m[n.Content[i].Value] = v
	}
	return m, nil
}

// lookup resolves a control ID or alias at a node.
func (p parser) lookup(n *yaml.Node) (*control.Control, error) {
	c, ok := control.Lookup(n.Value)
	if !ok {
		return nil, p.errf(n, "unknown control %q (run `sagefence controls` for the list)", n.Value)
	}
	return c, nil
}

// controls reads `controls: {ID: true|false}`; it returns the disabled IDs.
func (p parser) controls(n *yaml.Node) ([]string, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, "controls: expected a mapping of control IDs to true (on) or false (off)")
	}
	var off []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		c, err := p.lookup(n.Content[i])
		if err != nil {
			return nil, err
		}
		var on bool
		if err := n.Content[i+1].Decode(&on); err != nil {
			return nil, p.errf(n.Content[i+1], "control %s: expected true (on) or false (off), got %q", n.Content[i].Value, n.Content[i+1].Value)
		}
		if !on {
			off = append(off, c.ID)
		}
	}
	return off, nil
}

func (p parser) severity(n *yaml.Node, into map[string]finding.Severity) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "severity: expected a mapping of control IDs to low, medium or high")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		c, err := p.lookup(n.Content[i])
		if err != nil {
			return err
		}
		sev := finding.Severity(strings.ToLower(n.Content[i+1].Value))
		if sev.Rank() == 0 {
			return p.errf(n.Content[i+1], "severity of %s: %q is not low, medium or high", n.Content[i].Value, n.Content[i+1].Value)
		}
		into[c.ID] = sev
	}
	return nil
}

func (p parser) suppressions(n *yaml.Node) ([]engine.ConfigSuppression, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errf(n, "suppressions: expected a list of {control, resource, reason, expires}")
	}
	var out []engine.ConfigSuppression
	for _, item := range n.Content {
		if item.Kind != yaml.MappingNode {
			return nil, p.errf(item, "suppression: expected a mapping with control, resource, reason and optionally expires")
		}
		s := engine.ConfigSuppression{}
		for i := 0; i+1 < len(item.Content); i += 2 {
			key, val := item.Content[i], item.Content[i+1]
			v, err := p.scalar(val)
			if err != nil {
				return nil, err
			}
			switch key.Value {
			case "control":
				if v != "*" {
					c, err := p.lookup(val)
					if err != nil {
						return nil, err
					}
					v = c.ID
				}
				s.Control = v
			case "resource":
				if _, err := filepath.Match(v, ""); err != nil {
					return nil, p.errf(val, "resource pattern %q: %v", v, err)
				}
				s.Resource = v
			case "reason":
				s.Reason = strings.TrimSpace(v)
			case "expires":
				if _, err := time.Parse("2006-01-02", v); err != nil {
					return nil, p.errf(val, "expires %q: expected a date YYYY-MM-DD", v)
				}
				s.Expires = v
			default:
				return nil, p.errf(key, "unknown suppression field %q (known: control, resource, reason, expires)", key.Value)
			}
		}
		switch {
		case s.Control == "":
			return nil, p.errf(item, "suppression without a control: name the control ID or alias (or \"*\")")
		case s.Resource == "":
			return nil, p.errf(item, "suppression of %s without a resource: give the address, name or a glob", s.Control)
		case s.Reason == "":
			return nil, p.errf(item, "suppression of %s on %q has no reason: every suppression must say why (reason: ...)", s.Control, s.Resource)
		}
		out = append(out, s)
	}
	return out, nil
}

// Enabled filters controls, dropping the ones the file switches off.
func (c *Config) Enabled(controls []*control.Control) []*control.Control {
	if c == nil || len(c.Disabled) == 0 {
		return controls
	}
	var out []*control.Control
	for _, ctl := range controls {
		off := false
		for _, id := range c.Disabled {
			if ctl.ID == id {
				off = true
			}
		}
		if !off {
			out = append(out, ctl)
		}
	}
	return out
}

// ApplySeverity rewrites the severity of findings whose control has an
// override (a streamed result's as they are read: finding.Result.Rewrite).
func (c *Config) ApplySeverity(res *finding.Result) {
	if c == nil || len(c.Severity) == 0 {
		return
	}
	res.Rewrite(func(f *finding.Finding) {
		if sev, ok := c.Severity[f.ControlID]; ok {
			f.Severity = sev
		}
	})
}

// yamlErrorLine extracts the line from a yaml.v3 error ("yaml: line 3: ...").
func yamlErrorLine(err error) int {
	var line int
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		fmt.Sscanf(msg[i:], "line %d", &line)
	}
	return line
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
