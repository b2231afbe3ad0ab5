package terraform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"

	"github.com/sagefence/sagefence/internal/bounds"
	"github.com/sagefence/sagefence/internal/safefs"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
)

// Input is what discovery found: every directory holding .tf/.tf.json files
// and the scan arguments that are such directories (always roots).
type Input struct {
	Dirs []string
	Args []string
}

// Load evaluates every root module of the input. It never fails as a whole:
// unreadable or unparsable files are Result.Errors and everything else is
// still evaluated. The sets are in the order of the roots.
func Load(ctx context.Context, in Input, opts surface.Options) surface.Result {
	var (
		mu   sync.Mutex
		sets = map[int]*model.Set{}
	)
	res := LoadEach(ctx, in, opts, func(i int, set *model.Set) {
		mu.Lock()
		defer mu.Unlock()
		sets[i] = set
	})
	for _, i := range slices.Sorted(maps.Keys(sets)) {
		res.Sets = append(res.Sets, sets[i])
	}
	return res
}

// LoadEach is Load handing each root's Set to each as soon as the root is
// evaluated, with the root's index in the order of the roots, instead of
// returning the sets; the returned Result holds only errors. each is called
// from several goroutines at once and must be safe for concurrent use. When
// each keeps no set, memory is bounded by the roots being evaluated, not by
// the corpus: a first pass reads only module blocks' sources, by line and
// without parsing (firstpass.go), to choose the roots; then each root is
// loaded with the modules it calls, evaluated into its Set, and its files are
// released. At most GOMAXPROCS roots are in memory at once. Each file is
// parsed once per scan: a module directory however many roots call it, kept
// only while a root that still has to run needs it (moduleCache). The first
// pass keeps up to sourceCacheBytes of file contents so that those are read
// from disk once.
func LoadEach(ctx context.Context, in Input, opts surface.Options, each func(i int, set *model.Set)) surface.Result {
	dirs := uniqueClean(append(append([]string(nil), in.Args...), in.Dirs...))
	cache := newSourceCache(sourceCacheBytes, opts.Jail)
	calls := scanModuleSources(ctx, dirs, cache)
	roots := selectRoots(uniqueClean(in.Args), dirs, calls, opts.Jail)
	cache.keepRootFacts(roots)

	// Each root's needed directories are counted now and worked out again
	// when it runs, rather than held for every root through the scan.
	modules := newModuleCache(cache)
	for _, root := range roots {
		modules.expect(neededDirs(root, calls))
	}

	results := make([]*rootResult, len(roots))
	tables := newFunctionTables(opts.Jail)
	forEachBounded(ctx, len(roots), func(i int) {
		needs := neededDirs(roots[i], calls)
		if ctx.Err() != nil {
			modules.done(needs)
			return // interrupted while waiting for a slot
		}
		l := newLoader(modules, needs)
		r := evaluateRoot(ctx, l, tables, roots[i], opts)
		cache.dropRootFacts(roots[i])
		r.loaded = l.release()
		each(i, r.set)
		r.set = nil
		results[i] = r
	})

	var res surface.Result
	seen := map[string]bool{}
	addErr := func(e model.Error) {
		k := fmt.Sprintf("%s:%d:%s", e.File, e.Line, e.Message)
		if !seen[k] {
			seen[k] = true
			res.Errors = append(res.Errors, e)
		}
	}
	loaded := map[string]bool{}
	for _, r := range results {
		if r == nil {
			continue
		}
		for _, e := range r.errs {
			addErr(e)
		}
		for dir, errs := range r.loaded {
			loaded[dir] = true
			for _, e := range errs {
				addErr(e)
			}
		}
	}
	// Parse errors of every directory, once, whether or not a root reached it.
	for _, d := range dirs {
		if !loaded[d] && ctx.Err() == nil {
			for _, e := range loadModuleDir(d, cache).parseErrs {
				addErr(e)
			}
		}
	}
	sort.SliceStable(res.Errors, func(i, j int) bool {
		a, b := res.Errors[i], res.Errors[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return res
}

// forEachBounded calls fn(i) for each i in [0, n), in order of i, on at
// most GOMAXPROCS goroutines at once, and returns when all calls have. Once
// ctx is done it starts no more calls.
func forEachBounded(ctx context.Context, n int, fn func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := 0; i < n && ctx.Err() == nil; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(i)
		}()
	}
	wg.Wait()
}

func uniqueClean(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		p = filepath.Clean(p)
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// moduleCache parses and decodes each module directory once per scan and
// shares the read-only result between the roots that call it. An entry is
// released as soon as no root that still has to run (or is running) needs
// it, so memory follows the roots in flight and the modules they share, not
// the corpus.
//
// refs counts, per directory, the roots expected to load it (from the first
// pass's local module calls, see neededDirs) plus the roots that loaded it
// without being expected to (a source the first pass could not resolve).
type moduleCache struct {
	mu      sync.Mutex
	entries shrinkingMap[*defEntry]
	refs    shrinkingMap[int]
	source  *sourceCache // may be nil
}

type defEntry struct {
	once sync.Once
	def  *moduleDef
}

func newModuleCache(source *sourceCache) *moduleCache {
	return &moduleCache{source: source}
}

// expect records that a root will need dirs; call it for every root before
// any root runs.
func (c *moduleCache) expect(dirs map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for d := range dirs {
		c.addRef(d)
	}
}

// addRef counts one more reference to dir (under c.mu).
func (c *moduleCache) addRef(dir string) {
	refs, _ := c.refs.get(dir)
	c.refs.put(dir, refs+1)
}

// get returns the decoded directory, parsing it on first use. expected says
// whether the calling root counted dir in expect; if not, it holds one more
// reference until done.
func (c *moduleCache) get(dir string, expected bool) *moduleDef {
	c.mu.Lock()
	e, ok := c.entries.get(dir)
	if !ok {
		e = &defEntry{}
		c.entries.put(dir, e)
	}
	if !expected {
		c.addRef(dir)
	}
	c.mu.Unlock()
	e.once.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				def := newModuleDef(dir)
				def.missing = true
				def.parseErrs = append(def.parseErrs, model.Error{File: dir,
					Message: fmt.Sprintf("internal error while reading this module (please report it): %v", r)})
				e.def = def
			}
		}()
		e.def = loadModuleDir(dir, c.source)
	})
	return e.def
}

// done drops one reference of a finished root to each of dirs and releases
// the directories no other root needs any more.
func (c *moduleCache) done(dirs map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for d := range dirs {
		if refs, _ := c.refs.get(d); refs > 1 {
			c.refs.put(d, refs-1)
			continue
		}
		c.refs.delete(d)
		c.entries.delete(d)
	}
}

// loader is one root's view of the moduleCache: it remembers which
// directories the root loaded. It is used by one goroutine.
type loader struct {
	shared *moduleCache
	// needs are the directories the root was expected to load (counted in
	// the cache's refs); used are those it did load.
	needs, used map[string]bool
}

func newLoader(shared *moduleCache, needs map[string]bool) *loader {
	return &loader{shared: shared, needs: needs, used: map[string]bool{}}
}

// module returns the decoded directory, parsing it on first use in the scan.
func (l *loader) module(dir string) *moduleDef {
	def := l.shared.get(dir, l.needs[dir] || l.used[dir])
	l.used[dir] = true
	return def
}

// release gives the root's references back to the cache and returns the
// errors each directory it loaded gave when parsed, by directory.
func (l *loader) release() map[string][]model.Error {
	out := make(map[string][]model.Error, len(l.used))
	for dir := range l.used {
		out[dir] = l.shared.get(dir, true).parseErrs
	}
	refs := make(map[string]bool, len(l.needs)+len(l.used))
	for d := range l.needs {
		refs[d] = true
	}
	for d := range l.used {
		refs[d] = true
	}
	l.shared.done(refs)
	l.used = map[string]bool{}
	return out
}

// neededDirs is root plus every directory it reaches through local module
// calls (calls, from the first pass), to maxModuleDepth.
func neededDirs(root string, calls map[string][]string) map[string]bool {
	out := map[string]bool{root: true}
	var walk func(d string, depth int)
	walk = func(d string, depth int) {
		if depth > maxModuleDepth {
			return
		}
		for _, c := range calls[d] {
			if !out[c] {
				out[c] = true
				walk(c, depth+1)
			}
		}
	}
	walk(root, 0)
	return out
}

// selectRoots returns the arguments plus every directory that no root calls
// (directly or nested) through a local module source. calls maps each
// directory to the directories it calls locally.
func selectRoots(args, dirs []string, calls map[string][]string, jail *safefs.Jail) []string {
	noCache := newSourceCache(0, jail)
	callees := func(d string) []string {
		if cs, ok := calls[d]; ok {
			return cs
		}
		cs := localCallees(d, noCache) // a directory reached only through a call
		calls[d] = cs
		return cs
	}
	reached := map[string]bool{}
	var reach func(d string, depth int)
	reach = func(d string, depth int) {
		if depth > maxModuleDepth {
			return
		}
		for _, c := range callees(d) {
			if !reached[c] {
				reached[c] = true
				reach(c, depth+1)
			}
		}
	}
	roots := append([]string(nil), args...)
	isRoot := map[string]bool{}
	for _, r := range roots {
		isRoot[r] = true
		reach(r, 0)
	}
	for {
		calledByCandidates := map[string]bool{}
		var candidates []string
		for _, d := range dirs {
			if !isRoot[d] && !reached[d] {
				candidates = append(candidates, d)
			}
		}
		if len(candidates) == 0 {
			break
		}
		for _, d := range candidates {
			for _, c := range callees(d) {
				if c != d {
					calledByCandidates[c] = true
				}
			}
		}
		var picked []string
		for _, d := range candidates {
			if !calledByCandidates[d] {
				picked = append(picked, d)
			}
		}
		if len(picked) == 0 { // only cycles are left: break them in lexical order
			picked = candidates[:1]
		}
		for _, d := range picked {
			isRoot[d] = true
			roots = append(roots, d)
			reach(d, 0)
		}
	}
	return roots
}

func isLocalSource(src string) bool {
	return strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../") ||
		strings.HasPrefix(src, ".\\") || strings.HasPrefix(src, "..\\")
}

// parsedFile is one configuration file.
type parsedFile struct {
	path  string // as reached from the scan argument
	name  string // base name
	bytes []byte
	body  hcl.Body
	json  bool
	// lineCache holds bytes split into lines (see lines), and suppressible
	// whether bytes may hold a suppression comment (see
	// mayHoldSuppressions: 0 not yet known, 1 yes, 2 no); both are filled
	// while the module is decoded, by one goroutine.
	lineCache    [][]byte
	suppressible int8
}

// onParse, when set (by tests), is called with the path of every file
// parseHCL/parseHCLChecked parses, in the first pass or the load; it must be
// safe for concurrent use.
var onParse func(path string)

// parseConfigFile parses one .tf or .tf.json file.
func parseConfigFile(path string, cache *sourceCache) (*parsedFile, []model.Error) {
	src, depthChecked, err := cache.read(path)
	if err != nil {
		return nil, []model.Error{{File: path, Message: fmt.Sprintf("read: %s", describeFSError(err))}}
	}
	pf := &parsedFile{path: path, name: filepath.Base(path), bytes: src, json: strings.HasSuffix(path, ".json")}
	f, diags := parseHCLChecked(src, path, depthChecked)
	errs := diagErrors(diags)
	if f == nil || f.Body == nil {
		return nil, errs
	}
	if diags.HasErrors() {
		// The errors are reported. Like Terraform, which keeps decoding a
		// file's other blocks, only the blocks that hold an error are left
		// out, so that their siblings are still evaluated (and do not get
		// knock-on "undeclared" errors). A file whose error is outside any
		// block, an override file (which may change any block) and a JSON
		// file are left out whole.
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok || isOverrideFile(pf.name) {
			return nil, errs
		}
		kept, whole := blocksWithoutErrors(body, diags)
		if whole {
			return nil, errs
		}
		pf.body = kept
		return pf, errs
	}
	pf.body = f.Body
	return pf, errs
}

// blocksWithoutErrors returns body without the blocks that contain an error
// diagnostic; whole is true when an error lies outside every block.
func blocksWithoutErrors(body *hclsyntax.Body, diags hcl.Diagnostics) (kept *hclsyntax.Body, whole bool) {
	broken := map[*hclsyntax.Block]bool{}
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if d.Subject == nil {
			return nil, true
		}
		in := false
		for _, b := range body.Blocks {
			r := b.Range()
			if d.Subject.Start.Byte >= r.Start.Byte && d.Subject.Start.Byte <= r.End.Byte {
				broken[b], in = true, true
				break
			}
		}
		if !in {
			return nil, true
		}
	}
	out := *body
	out.Blocks = nil
	for _, b := range body.Blocks {
		if !broken[b] {
			out.Blocks = append(out.Blocks, b)
		}
	}
	return &out, false
}

// parseHCL parses a configuration or variable file in native syntax, or in
// JSON syntax when its name ends in .json, after checking its nesting depth
// (bounds.CheckDepth): input nested too deep is an error diagnostic naming
// the line, never a stack overflow.
func parseHCL(src []byte, path string) (*hcl.File, hcl.Diagnostics) {
	return parseHCLChecked(src, path, false)
}

// parseHCLChecked is parseHCL that skips the nesting check when
// depthChecked says these very bytes passed it already.
func parseHCLChecked(src []byte, path string, depthChecked bool) (*hcl.File, hcl.Diagnostics) {
	if onParse != nil {
		onParse(path)
	}
	syn := bounds.HCL
	if strings.HasSuffix(path, ".json") {
		syn = bounds.JSON
	}
	if !depthChecked {
		if err := bounds.CheckDepth(src, syn); err != nil {
			var de *bounds.DepthError
			line := 1
			if errors.As(err, &de) {
				line = de.Line
			}
			pos := hcl.Pos{Line: line, Column: 1}
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Input too deeply nested", Detail: err.Error(),
				Subject: &hcl.Range{Filename: path, Start: pos, End: pos}}}
		}
	}
	if syn == bounds.JSON {
		return hcljson.Parse(src, path)
	}
	return hclsyntax.ParseConfig(src, path, hcl.InitialPos)
}

func describeFSError(err error) string {
	var oe *safefs.OutsideError
	if errors.As(err, &oe) {
		return oe.Error()
	}
	return safefs.Describe(err)
}

// diagErrors turns error diagnostics into model errors with file and line.
func diagErrors(diags hcl.Diagnostics) []model.Error {
	var out []model.Error
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		e := model.Error{Message: d.Summary}
		if d.Detail != "" {
			e.Message += ": " + d.Detail
		}
		if d.Subject != nil {
			e.File = d.Subject.Filename
			e.Line = d.Subject.Start.Line
		}
		out = append(out, e)
	}
	return out
}

// configFiles lists the .tf and .tf.json files of a directory in lexical
// order, leaving out editor backups (override files are listed like the
// others). An entry with such a name that cannot be read as a regular file
// (a dangling or looping symlink, a FIFO, a device) is returned in bad,
// never skipped silently: Terraform would fail on it.
func configFiles(dir string) (files []string, bad []model.Error, err error) {
	l, err := listConfigDir(dir)
	return l.files, l.bad, err
}

// dirListing is what a directory holds for the load: its configuration
// files (sorted), the entries refused as such (safefs.CheckEntry), and what
// a root needs to know of it (rootFacts).
type dirListing struct {
	files []string
	bad   []model.Error
	rootFacts
}

// rootFacts are what evaluating dir as a root needs from its listing.
type rootFacts struct {
	// terraformDir: dir has a .terraform entry, where `terraform init`
	// records the modules it downloaded.
	terraformDir bool
	// varFiles are the variable files Terraform loads automatically
	// (autoVarFiles).
	varFiles []string
}

// listConfigDir reads dir's entries into a dirListing.
func listConfigDir(dir string) (dirListing, error) {
	var l dirListing
	entries, err := os.ReadDir(dir)
	if err != nil {
		return l, err
	}
	l.varFiles = varFilesIn(dir, entries)
	for _, e := range entries {
		n := e.Name()
		if n == ".terraform" {
			l.terraformDir = true
		}
		if e.IsDir() || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "#") || strings.HasSuffix(n, "~") {
			continue
		}
		if strings.HasSuffix(n, ".tf") || strings.HasSuffix(n, ".tf.json") {
			p := filepath.Join(dir, n)
			ok, err := safefs.CheckEntry(p, e)
			if err != nil {
				l.bad = append(l.bad, model.Error{File: p, Message: err.Error()})
				continue
			}
			if ok {
				l.files = append(l.files, p)
			}
		}
	}
	sort.Strings(l.files)
	return l, nil
}

// loadModuleDir parses and decodes every configuration file of dir.
func loadModuleDir(dir string, cache *sourceCache) *moduleDef {
	def := newModuleDef(dir)
	files, bad, err := cache.configFiles(dir)
	if err != nil {
		def.parseErrs = append(def.parseErrs, model.Error{File: dir, Message: fmt.Sprintf("read module directory: %s", describeFSError(err))})
		def.missing = true
		return def
	}
	def.parseErrs = append(def.parseErrs, bad...)
	for _, e := range bad {
		if isOverrideFile(filepath.Base(e.File)) {
			def.brokenOverride = append(def.brokenOverride, e.File)
		}
	}
	var overrides []*parsedFile
	for _, path := range files {
		pf, errs := parseConfigFile(path, cache)
		def.parseErrs = append(def.parseErrs, errs...)
		if pf == nil {
			if isOverrideFile(filepath.Base(path)) {
				def.brokenOverride = append(def.brokenOverride, path)
			}
			continue
		}
		def.readNames.addFile(pf)
		if isOverrideFile(pf.name) {
			overrides = append(overrides, pf)
			continue
		}
		def.decodeFile(pf)
	}
	// Override files are merged after every other file, in lexical order.
	for _, pf := range overrides {
		def.decodeOverride(pf)
	}
	for _, pf := range def.files {
		pf.lineCache = nil // only needed while decoding suppressions
	}
	for _, r := range def.resources {
		r.literalIngress = isLiteralIngressRule(r)
	}
	return def
}

// isOverrideFile reports whether Terraform merges the file into the others
// (override.tf, *_override.tf and their .tf.json forms).
func isOverrideFile(name string) bool {
	base := strings.TrimSuffix(strings.TrimSuffix(name, ".json"), ".tf")
	return base == "override" || strings.HasSuffix(base, "_override")
}

// modulesManifest reads <root>/.terraform/modules/modules.json: module key →
// directory (relative to the root, as terraform init records it).
//
// When the first pass listed root without a .terraform entry, there is no
// manifest and nothing is read.
func modulesManifest(root string, jail *safefs.Jail, cache *sourceCache) (map[string]string, *model.Error) {
	if f, listed := cache.rootFactsOf(root); listed && !f.terraformDir {
		return nil, nil
	}
	path := filepath.Join(root, ".terraform", "modules", "modules.json")
	raw, err := jail.ReadFile(path, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, &model.Error{File: path, Message: fmt.Sprintf("read module manifest: %s", describeFSError(err))}
	}
	var m struct {
		Modules []struct {
			Key    string `json:"Key"`
			Source string `json:"Source"`
			Dir    string `json:"Dir"`
		} `json:"Modules"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &model.Error{File: path, Message: fmt.Sprintf("module manifest: %v", err)}
	}
	out := map[string]string{}
	for _, mod := range m.Modules {
		if mod.Key == "" {
			continue
		}
		d := filepath.FromSlash(mod.Dir)
		if !filepath.IsAbs(d) {
			d = filepath.Join(root, d)
		}
		out[mod.Key] = filepath.Clean(d)
	}
	return out, nil
}

// sourceCacheBytes bounds the file contents the first pass keeps for the
// load (a constant, whatever the size of the corpus). The first pass reads
// every file, so the cache holds the first files up to the budget and drains
// as their roots run; a larger one saves little (a read is a few system
// calls) and is held for much of the scan: 32 MiB put 25 MiB more on the
// peak RSS of a 50,000-file scan, 8 MiB costs about 5% more CPU on 2,148 real
// files than 32 (BENCHMARKS.md).
const sourceCacheBytes = 8 << 20

// sourceCache holds file contents the first pass read, so that the load
// that follows does not read them again. Each entry is handed out once and
// dropped; files beyond the budget are read again from disk. A nil cache
// reads from disk.
type sourceCache struct {
	mu     sync.Mutex
	budget int
	files  shrinkingMap[cachedSource]
	// listings are the directories the first pass listed, until the load
	// lists them again (configFiles); roots holds the rootFacts of every
	// directory it listed, then of the roots not yet evaluated (see
	// keepRootFacts, dropRootFacts).
	listings shrinkingMap[dirListing]
	roots    shrinkingMap[rootFacts]
	// jail confines every read (nil: no confinement); reads are of regular
	// files of at most safefs.MaxFileBytes.
	jail *safefs.Jail
}

// cachedSource is one file's contents and whether they passed the nesting
// check (bounds) already, so that the load need not check them again.
type cachedSource struct {
	src          []byte
	depthChecked bool
}

func newSourceCache(budget int, jail *safefs.Jail) *sourceCache {
	return &sourceCache{budget: budget, jail: jail}
}

// listDir lists dir for the first pass and keeps the listing for the load,
// which then reads the directory once rather than twice.
func (c *sourceCache) listDir(dir string) (dirListing, error) {
	l, err := listConfigDir(dir)
	if err != nil || c == nil {
		return l, err
	}
	size := len(dir)
	for _, f := range l.files {
		size += len(f)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roots.put(dir, l.rootFacts)
	if size <= c.budget {
		c.listings.put(dir, l)
		c.budget -= size
	}
	return l, nil
}

// configFiles is the package's configFiles, from the first pass's listing
// of dir when there is one (dropping it: a directory loaded again is read
// again, as its files are).
func (c *sourceCache) configFiles(dir string) (files []string, bad []model.Error, err error) {
	if c != nil {
		// The budget is not given back: like a file's contents, a listing
		// is kept for the load once.
		if l, ok := take(c, &c.listings, dir); ok {
			return l.files, l.bad, nil
		}
	}
	return configFiles(dir)
}

// take removes key from m (a map of c) and returns what it held, under c's
// lock.
func take[V any](c *sourceCache, m *shrinkingMap[V], key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return m.take(key)
}

// rootFactsOf returns what the first pass's listing of dir says of it as
// a root; ok is false when it did not list dir.
func (c *sourceCache) rootFactsOf(dir string) (f rootFacts, ok bool) {
	if c == nil {
		return f, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.roots.get(dir)
}

// keepRootFacts forgets the rootFacts of every directory but roots, once
// the roots are chosen.
func (c *sourceCache) keepRootFacts(roots []string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var kept shrinkingMap[rootFacts]
	for _, r := range roots {
		if f, ok := c.roots.get(r); ok {
			kept.put(r, f)
		}
	}
	c.roots = kept
}

// dropRootFacts forgets root's rootFacts once it has been evaluated.
func (c *sourceCache) dropRootFacts(root string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roots.delete(root)
}

// put keeps src for the load while the budget allows; depthChecked says
// that src passed bounds' nesting check.
func (c *sourceCache) put(path string, src []byte, depthChecked bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(src) <= c.budget {
		c.files.put(path, cachedSource{src: src, depthChecked: depthChecked})
		c.budget -= len(src)
	}
}

// read returns the cached contents of path (dropping them), else reads it;
// depthChecked is true only for cached contents that passed the nesting
// check (contents read again may have changed on disk).
func (c *sourceCache) read(path string) (src []byte, depthChecked bool, err error) {
	if c != nil {
		if e, ok := take(c, &c.files, path); ok {
			return e.src, e.depthChecked, nil
		}
	}
	src, err = c.readFresh(path)
	return src, false, err
}

// readFresh reads path from disk through the jail.
func (c *sourceCache) readFresh(path string) ([]byte, error) {
	if c == nil {
		return safefs.ReadFile(path)
	}
	return c.jail.ReadFile(path, 0)
}
