package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/sagefence/sagefence/internal/safefs"
	"github.com/sagefence/sagefence/model"
)

// Inputs is what discovery found under the scanned paths, grouped by surface.
type Inputs struct {
	// Args are the scanned paths as given.
	Args []string
	// TerraformDirs are the directories holding .tf or .tf.json files.
	TerraformDirs []string
	// TerraformArgs are the arguments that are directories holding .tf files
	// (always root modules, OUTPUT.md).
	TerraformArgs []string
	// PlanFiles are Terraform plan/state JSON files.
	PlanFiles []string
	// TemplateFiles are candidate CloudFormation templates (sniffed, not parsed).
	TemplateFiles []string
	// CDKAssemblies are cloud assembly directories (cdk.out).
	CDKAssemblies []string
	// Errors are paths that could not be read.
	Errors []model.Error
	// Skipped counts the files and directories left out by the skip filter.
	Skipped int
}

// skipDirs are never descended into. `.terraform` holds downloaded modules,
// which the Terraform surface reads through modules.json, not by walking.
var skipDirs = map[string]bool{".git": true, ".terraform": true, "node_modules": true, ".hg": true, ".svn": true}

// Discover walks the paths and classifies files by name and, for JSON/YAML,
// by content. Unreadable paths become errors; discovery goes on. Nothing is
// confined (see DiscoverIn).
func Discover(paths []string) Inputs { return DiscoverIn(context.Background(), paths, nil) }

// DiscoverIn is Discover with reads confined to jail (nil: anywhere) and
// stopped when ctx is cancelled. Only regular files are read: a FIFO or a
// device (or a symlink to one), a dangling or looping symlink, or a symlink
// leading outside the jail is an error naming the path, never read and
// never skipped silently. Such an entry named *.tf or *.tf.json marks its
// directory for the Terraform surface, which reports it once.
func DiscoverIn(ctx context.Context, paths []string, jail *safefs.Jail) Inputs {
	return DiscoverSkipping(ctx, paths, jail, nil)
}

// DiscoverSkipping is DiscoverIn leaving out what skip matches (nil:
// nothing); Inputs.Skipped counts what was left out.
func DiscoverSkipping(ctx context.Context, paths []string, jail *safefs.Jail, skip *PathFilter) Inputs {
	in := Inputs{Args: paths}
	tfDirs := map[string]bool{}
	for _, p := range paths {
		if ctx.Err() != nil {
			break
		}
		if skip.Match(p) {
			in.Skipped++
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			in.Errors = append(in.Errors, model.Error{File: p, Message: describePathError(err)})
			continue
		}
		if !info.IsDir() {
			in.classifyFile(p, tfDirs)
			continue
		}
		if isCDKAssembly(p) {
			in.CDKAssemblies = append(in.CDKAssemblies, p)
			continue
		}
		if hasTerraformFiles(p) {
			in.TerraformArgs = append(in.TerraformArgs, filepath.Clean(p))
		}
		w := walker{ctx: ctx, in: &in, jail: jail, skip: skip, tfDirs: tfDirs}
		err = w.walkRoot(p)
		if err != nil {
			in.Errors = append(in.Errors, model.Error{File: p, Message: err.Error()})
		}
	}
	for d := range tfDirs {
		in.TerraformDirs = append(in.TerraformDirs, d)
	}
	sort.Strings(in.TerraformDirs)
	return in
}

// walker walks one scanned directory for DiscoverSkipping. It visits what
// filepath.WalkDir would, in the same (lexical) order and with the same
// errors, but lists each directory before deciding on it, so that the
// listing tells whether it is a CDK assembly (isCDKAssemblyListed) without
// a stat per directory.
type walker struct {
	ctx    context.Context
	in     *Inputs
	jail   *safefs.Jail
	skip   *PathFilter
	tfDirs map[string]bool
}

// walkRoot walks the scanned directory root, which the caller found to be
// a directory: a symbolic link to one is followed (the argument names it;
// as WalkDir, discovery follows no link below it). The root itself is never
// skipped, left out by name or taken for an assembly (its caller decided
// that). The error is ctx's when it was cancelled.
func (w *walker) walkRoot(root string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	list, err := os.ReadDir(root)
	if err != nil {
		return w.unlisted(root, err)
	}
	return w.entries(root, list)
}

// entries visits the listed entries of directory dir in order.
func (w *walker) entries(dir string, entries []fs.DirEntry) error {
	clean := filepath.Clean(dir)
	for _, d := range entries {
		if err := w.visit(dir, clean, d); err != nil {
			return err
		}
	}
	return nil
}

// visit visits entry d of directory dir (clean is filepath.Clean(dir)):
// skipped when the filter matches it, a directory descended into unless
// its name is in skipDirs or it is a CDK assembly, a file classified.
func (w *walker) visit(dir, clean string, d fs.DirEntry) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if w.skip == nil && d.Type().IsRegular() {
		// Most files need no path of their own: those discovery ignores,
		// and Terraform files, which only mark their directory.
		switch classOf(d.Name()) {
		case nameIgnored:
			return nil
		case nameTerraform:
			w.tfDirs[clean] = true
			return nil
		}
	}
	path := filepath.Join(dir, d.Name())
	if w.skip.Match(path) {
		w.in.Skipped++
		return nil
	}
	if !d.IsDir() {
		w.file(path, d)
		return nil
	}
	if skipDirs[d.Name()] {
		return nil
	}
	list, err := os.ReadDir(path)
	if err != nil {
		// A directory that cannot be listed may still hold an assembly's
		// files: those are looked up by name.
		if isCDKAssembly(path) {
			w.in.CDKAssemblies = append(w.in.CDKAssemblies, path)
			return nil
		}
		return w.unlisted(path, err)
	}
	if isCDKAssemblyListed(path, list) {
		w.in.CDKAssemblies = append(w.in.CDKAssemblies, path)
		return nil
	}
	return w.entries(path, list)
}

// unlisted records that directory dir could not be listed.
func (w *walker) unlisted(dir string, err error) error {
	if cerr := w.ctx.Err(); cerr != nil {
		return cerr
	}
	w.in.Errors = append(w.in.Errors, model.Error{File: dir, Message: describePathError(err)})
	return nil
}

// file classifies a file that is not a directory. Only regular files (or
// links to them inside the jail) are read; see DiscoverIn for the others.
func (w *walker) file(path string, d fs.DirEntry) {
	ok, err := safefs.CheckEntry(path, d)
	if err == nil && ok && !d.Type().IsRegular() {
		if _, jerr := w.jail.Check(path); jerr != nil {
			err = jerr
		}
	}
	if err != nil {
		if isTerraformName(d.Name()) {
			// The Terraform surface lists the directory and reports it.
			w.tfDirs[filepath.Dir(path)] = true
		} else if isScannedName(d.Name()) {
			w.in.Errors = append(w.in.Errors, model.Error{File: path, Message: describePathError(err)})
		}
		return
	}
	if ok {
		w.in.classifyFile(path, w.tfDirs)
	}
}

// isTerraformName reports whether a file name is a Terraform configuration file.
func isTerraformName(name string) bool {
	return strings.HasSuffix(name, ".tf") || strings.HasSuffix(name, ".tf.json")
}

// isScannedName reports whether discovery would read a file of this name
// (variable files are read, and reported, by the Terraform surface).
func isScannedName(name string) bool {
	name = strings.ToLower(name)
	if strings.HasSuffix(name, ".tfvars.json") {
		return false
	}
	for _, ext := range []string{".json", ".yaml", ".yml", ".template", ".cfn", ".tpl"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

func describePathError(err error) string {
	var oe *safefs.OutsideError
	if errors.As(err, &oe) {
		return oe.Error()
	}
	return safefs.Describe(err)
}

// nameClass is what discovery does with a file of a given name.
type nameClass int

const (
	// nameIgnored: not read (variable files among them: the Terraform
	// surface reads those from its root directories).
	nameIgnored nameClass = iota
	// nameTerraform: marks its directory for the Terraform surface.
	nameTerraform
	// nameSniffed: read to tell a plan or a template from other JSON/YAML.
	nameSniffed
)

// classOf classifies a file name, case-insensitively.
func classOf(name string) nameClass {
	name = strings.ToLower(name)
	switch {
	case strings.HasSuffix(name, ".tf") || strings.HasSuffix(name, ".tf.json"):
		return nameTerraform
	case strings.HasSuffix(name, ".tfvars") || strings.HasSuffix(name, ".tfvars.json"):
		return nameIgnored
	case strings.HasSuffix(name, ".json"), strings.HasSuffix(name, ".yaml"), strings.HasSuffix(name, ".yml"),
		strings.HasSuffix(name, ".template"), strings.HasSuffix(name, ".cfn"), strings.HasSuffix(name, ".tpl"):
		return nameSniffed
	}
	return nameIgnored
}

func (in *Inputs) classifyFile(path string, tfDirs map[string]bool) {
	switch classOf(filepath.Base(path)) {
	case nameTerraform:
		tfDirs[filepath.Dir(path)] = true // Dir cleans the path
	case nameSniffed:
		kind, err := sniff(path)
		if err != nil {
			in.Errors = append(in.Errors, model.Error{File: path, Message: describePathError(err)})
			return
		}
		switch kind {
		case kindPlan:
			in.PlanFiles = append(in.PlanFiles, path)
		case kindTemplate:
			in.TemplateFiles = append(in.TemplateFiles, path)
		}
	}
}

type fileKind int

const (
	kindOther fileKind = iota
	kindPlan
	kindTemplate
)

// sniffSize bounds how much of a file discovery reads to classify it. Plans
// put format_version and terraform_version first; templates may put
// Resources anywhere, so for them the whole (small) file is read.
const sniffSize = 64 << 10

// sniffBuffers are sniff's buffers of sniffSize bytes, reused from file to
// file: a fresh one per JSON or YAML file costs more than reading it.
var sniffBuffers = sync.Pool{New: func() any { return new([sniffSize]byte) }}

func sniff(path string) (fileKind, error) {
	f, err := safefs.Open(path)
	if err != nil {
		return kindOther, err
	}
	defer f.Close()
	buf := sniffBuffers.Get().(*[sniffSize]byte)
	defer sniffBuffers.Put(buf)
	head := buf[:]
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return kindOther, err
	}
	head = head[:n]
	trim := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(trim) > 0 && trim[0] == '{' &&
		bytes.Contains(head, []byte(`"format_version"`)) && bytes.Contains(head, []byte(`"terraform_version"`)) {
		return kindPlan, nil
	}
	data := head
	if n == sniffSize {
		rest, err := io.ReadAll(io.LimitReader(f, safefs.MaxFileBytes))
		if err != nil {
			return kindOther, err
		}
		data = append(head, rest...)
	}
	if bytes.Contains(data, []byte("Resources")) && bytes.Contains(data, []byte("AWS::")) {
		return kindTemplate, nil
	}
	return kindOther, nil
}

// isCDKAssembly reports whether dir is a CDK cloud assembly: a manifest.json
// beside a cdk.out marker or tree.json.
func isCDKAssembly(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		return false
	}
	for _, marker := range []string{"cdk.out", "tree.json"} {
		if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
			return true
		}
	}
	return false
}

// isCDKAssemblyListed is isCDKAssembly for a directory whose entries were
// just listed: a directory without an entry named manifest.json, up to
// case (a case-insensitive file system finds it under any case), is not
// an assembly, and needs no stat.
func isCDKAssemblyListed(dir string, entries []fs.DirEntry) bool {
	for _, e := range entries {
		if strings.EqualFold(e.Name(), "manifest.json") {
			return isCDKAssembly(dir)
		}
	}
	return false
}

func hasTerraformFiles(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && (strings.HasSuffix(n, ".tf") || strings.HasSuffix(n, ".tf.json")) {
			return true
		}
	}
	return false
}

// String summarizes the inputs for debugging.
func (in Inputs) String() string {
	return fmt.Sprintf("terraform dirs %d, plans %d, templates %d, cdk %d, errors %d",
		len(in.TerraformDirs), len(in.PlanFiles), len(in.TemplateFiles), len(in.CDKAssemblies), len(in.Errors))
}

// Describe says what discovery found, for people: "0 Terraform
// directories, 0 plan files, 0 CloudFormation templates, 0 CDK assemblies
// (3 paths skipped)".
func (in Inputs) Describe() string {
	s := fmt.Sprintf("%d Terraform director%s, %d plan file%s, %d CloudFormation template%s, %d CDK assembl%s",
		len(in.TerraformDirs), plural(len(in.TerraformDirs), "y", "ies"), len(in.PlanFiles), plural(len(in.PlanFiles), "", "s"),
		len(in.TemplateFiles), plural(len(in.TemplateFiles), "", "s"), len(in.CDKAssemblies), plural(len(in.CDKAssemblies), "y", "ies"))
	if in.Skipped > 0 {
		s += fmt.Sprintf(" (%d path%s skipped)", in.Skipped, plural(in.Skipped, "", "s"))
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
