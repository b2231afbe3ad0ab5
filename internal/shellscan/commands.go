package shellscan

import (
	"net"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
)

// command classifies one simple command: its words (prefix assignments
// first, quotes removed) and the files its redirections write. at is where
// hits are reported. It returns the package-manager configuration file the
// command writes ("pip.conf", ".condarc", ".npmrc", "uv.toml"), or "", and
// whether the command is a shell reading its commands from standard input
// (sudo -i, su -, bash with no script), which a here-document then feeds.
func (s *scanner) command(words, targets []string, hasHeredoc bool, at loc, depth int) (cfgFile string, shellStdin bool) {
	env := map[string]string{}
	args, shellStdin := s.peel(words, env, at, depth)
	if len(args) == 0 {
		return "", shellStdin
	}
	for _, t := range targets {
		if f := configFile(t); f != "" {
			cfgFile = f
			if !hasHeredoc { // a here-document body is judged by readConfigBody
				s.configWrittenBy(f, args)
			}
		}
	}
	name := path.Base(args[0])
	rest := args[1:]
	proxied := s.proxied || privateProxy(env) || privateProxyOption(rest)
	hit := func(k Kind, detail string) {
		if proxied {
			return // fetched through a private proxy
		}
		s.hits = append(s.hits, Hit{Line: at.line, Text: at.text, Kind: k, Detail: detail})
	}
	switch {
	case name == "export" || name == "declare" || name == "readonly":
		for _, a := range rest {
			if k, v, ok := assignment(a); ok {
				s.applyEnv(k, v)
			}
		}
	case isPip(name):
		s.pip(rest, env, hit)
	case isPython(name) && len(rest) >= 2 && rest[0] == "-m" && (rest[1] == "pip" || rest[1] == "pip3"):
		s.pip(rest[2:], env, hit)
	case name == "uv" || name == "uvx":
		s.uv(name, rest, env, hit)
	case name == "pipx":
		s.pipx(rest, env, hit)
	case name == "conda" || name == "mamba" || name == "micromamba":
		s.conda(name, rest, hit)
	case name == "curl" || name == "wget":
		for _, u := range urlArgs(rest) {
			if host, ok := urlHost(u); ok && !PrivateHost(host) {
				hit(Download, name+" of "+u+" (public host "+host+")")
				break
			}
		}
	case name == "git":
		s.git(rest, hit)
	case name == "npm" || name == "yarn" || name == "pnpm":
		s.npm(name, rest, env, hit)
	case name == "jupyter" && len(rest) >= 2 && rest[0] == "labextension" && rest[1] == "install":
		if !s.npmPrivate {
			hit(NpmInstall, "jupyter labextension install fetches from the public npm registry")
		}
	case name == "apt" || name == "apt-get":
		if sub := firstNonOption(rest); sub == "install" || sub == "update" || sub == "upgrade" || sub == "dist-upgrade" {
			hit(SystemPackage, name+" "+sub+" uses the public Debian/Ubuntu repositories")
		}
	case name == "yum" || name == "dnf":
		if sub := firstNonOption(rest); sub == "install" || sub == "localinstall" {
			for _, u := range urlArgs(rest) {
				if host, ok := urlHost(u); ok && !PrivateHost(host) {
					hit(SystemPackage, name+" install of "+u+" (public host "+host+")")
					break
				}
			}
		}
	case name == "aws":
		s.aws(rest)
	case name == "cp" || name == "mv" || name == "install" || name == "ln" || name == "rsync":
		if len(rest) > 0 {
			if f := configFile(rest[len(rest)-1]); f != "" {
				s.setPrivate(f)
			}
		}
	case name == "tee":
		for _, a := range rest {
			if f := configFile(a); f != "" {
				cfgFile = f
				if !hasHeredoc {
					s.setPrivate(f)
				}
			}
		}
	}
	return cfgFile, false
}

var assignRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

func assignment(w string) (key, value string, ok bool) {
	if !assignRe.MatchString(w) {
		return "", "", false
	}
	k, v, _ := strings.Cut(w, "=")
	return k, v, true
}

// peel removes wrappers (sudo, nohup, env, keywords, assignments) and judges
// `bash -c`/`su -c`/`eval` strings. Prefix assignments go to env. shellStdin reports
// a shell left to read its commands from standard input.
func (s *scanner) peel(args []string, env map[string]string, at loc, depth int) (rest []string, shellStdin bool) {
	for len(args) > 0 {
		w := args[0]
		if k, v, ok := assignment(w); ok {
			if len(args) == 1 { // a plain assignment line configures the script
				s.applyEnv(k, v)
			}
			env[k] = v
			args = args[1:]
			continue
		}
		switch path.Base(w) {
		case "if", "then", "do", "else", "elif", "while", "until", "!", "{", "(", "time", "exec", "command", "builtin", "nohup":
			args = args[1:]
		case "sudo":
			args = skipOptions(args[1:], "ugCDhprtUT")
			if len(args) == 0 {
				return nil, true // sudo -i / sudo -s runs a shell
			}
		case "env":
			args = args[1:]
			for len(args) > 0 {
				if k, v, ok := assignment(args[0]); ok {
					env[k] = v
					args = args[1:]
				} else if args[0] == "-u" && len(args) > 1 {
					args = args[2:]
				} else if strings.HasPrefix(args[0], "-") {
					args = args[1:]
				} else {
					break
				}
			}
		case "nice", "ionice", "stdbuf", "xargs", "timeout":
			base := path.Base(w)
			args = skipOptions(args[1:], "nN")
			if base == "timeout" && len(args) > 0 {
				args = args[1:] // the duration
			}
		case "su", "runuser":
			if c, ok := optionValue(args[1:], "-c", "--command"); ok {
				if depth < maxDepth {
					s.scanString(c, at, depth+1)
				}
				return nil, false
			}
			return nil, true
		case "eval":
			if depth < maxDepth {
				s.scanString(strings.Join(args[1:], " "), at, depth+1)
			}
			return nil, false
		case "bash", "sh", "zsh", "dash", "ksh":
			if c, ok := optionValue(args[1:], "-c", ""); ok {
				if depth < maxDepth {
					s.scanString(c, at, depth+1)
				}
				return nil, false
			}
			// bash with only options (bash, bash -s, bash -l) reads standard input.
			return nil, firstNonOption(args[1:]) == ""
		default:
			return args, false
		}
	}
	return args, false
}

// skipOptions drops leading options; letters in withArg take a separate value.
func skipOptions(args []string, withArg string) []string {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := args[0]
		args = args[1:]
		if a == "--" {
			break
		}
		if len(a) == 2 && strings.ContainsRune(withArg, rune(a[1])) && len(args) > 0 {
			args = args[1:]
		}
	}
	return args
}

// optionValue returns the value after short (or long) among options.
func optionValue(args []string, short, long string) (string, bool) {
	for i, a := range args {
		if (a == short || (long != "" && a == long)) && i+1 < len(args) {
			return args[i+1], true
		}
		if long != "" && strings.HasPrefix(a, long+"=") {
			return strings.TrimPrefix(a, long+"="), true
		}
		// combined flags: bash -lc "..."
		if short != "" && len(short) == 2 && strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") &&
			strings.HasSuffix(a, short[1:]) && len(a) > 2 && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

func firstNonOption(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}

var (
	pipRe    = regexp.MustCompile(`^pip[0-9.]*$`)
	pythonRe = regexp.MustCompile(`^python[0-9.]*$`)
)

func isPip(name string) bool    { return pipRe.MatchString(name) }
func isPython(name string) bool { return pythonRe.MatchString(name) }

// pipTool is a Python package installer that fetches from PyPI unless an
// index is configured: pip (and pipx, which runs pip with pip's
// configuration) or uv (which reads neither pip.conf nor PIP_INDEX_URL).
type pipTool struct {
	// label names the command in details ("pip install", "uv pip install").
	label string
	// indexOptions replace the default index; extraOptions add one.
	indexOptions, extraOptions []string
	// indexEnv are the environment variables that replace the default index.
	indexEnv []string
	// private reports configuration earlier in the script that makes the tool private.
	private func(*scanner) bool
}

var (
	pipCmd = pipTool{indexOptions: []string{"-i", "--index-url"}, extraOptions: []string{"--extra-index-url"},
		indexEnv: []string{"PIP_INDEX_URL"}, private: func(s *scanner) bool { return s.pipPrivate }}
	uvCmd = pipTool{indexOptions: []string{"-i", "--index-url", "--default-index"}, extraOptions: []string{"--extra-index-url", "--index"},
		indexEnv: []string{"UV_DEFAULT_INDEX", "UV_INDEX_URL"}, private: func(s *scanner) bool { return s.uvPrivate }}
	// pipOptionsWithValue take a separate value that is not a package.
	pipOptionsWithValue = map[string]bool{"-r": true, "--requirement": true, "-c": true, "--constraint": true, "-f": true,
		"--find-links": true, "-t": true, "--target": true, "--prefix": true, "--root": true, "--trusted-host": true,
		"-e": true, "--editable": true, "--python": true, "-p": true, "--from": true, "--with": true, "--spec": true,
		"--suffix": true, "--overrides": true, "--cache-dir": true}
)

// pip classifies a pip invocation (args after "pip").
func (s *scanner) pip(args []string, env map[string]string, hit func(Kind, string)) {
	switch sub := firstNonOption(args); sub {
	case "config":
		s.pipConfig(args)
	case "install", "download", "wheel":
		tool := pipCmd
		tool.label = "pip " + sub
		s.pipInstall(tool, args, env, hit)
	}
}

// uv classifies `uv pip install|sync`, `uv tool install|run|upgrade` and `uvx`
// (args after the command name).
func (s *scanner) uv(name string, args []string, env map[string]string, hit func(Kind, string)) {
	tool := uvCmd
	if name == "uvx" {
		tool.label = "uvx"
		s.pipInstall(tool, args, env, hit)
		return
	}
	pos := positionals(args, 2)
	if len(pos) < 2 {
		return
	}
	switch pos[0] + " " + pos[1] {
	case "pip install", "pip sync", "tool install", "tool run", "tool upgrade":
		tool.label = "uv " + pos[0] + " " + pos[1]
		s.pipInstall(tool, args, env, hit)
	}
}

// pipx classifies `pipx install|inject|upgrade|run|reinstall`, which run pip
// with pip's configuration; --pip-args are read as pip options.
func (s *scanner) pipx(args []string, env map[string]string, hit func(Kind, string)) {
	sub := firstNonOption(args)
	switch sub {
	case "install", "inject", "upgrade", "upgrade-all", "run", "reinstall", "reinstall-all":
	default:
		return
	}
	var expanded []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--pip-args" && i+1 < len(args):
			i++
			expanded = append(expanded, strings.Fields(args[i])...)
		case strings.HasPrefix(a, "--pip-args="):
			expanded = append(expanded, strings.Fields(strings.TrimPrefix(a, "--pip-args="))...)
		default:
			expanded = append(expanded, a)
		}
	}
	tool := pipCmd
	tool.label = "pipx " + sub
	s.pipInstall(tool, expanded, env, hit)
}

// positionals returns the first n words that are not options.
func positionals(args []string, n int) []string {
	var out []string
	for _, a := range args {
		if len(out) == n {
			break
		}
		if !strings.HasPrefix(a, "-") {
			out = append(out, a)
		}
	}
	return out
}

// pipInstall judges an installing invocation of a pip-like tool: a package
// given by public URL, a public --index-url, or the default index (PyPI) when
// neither an option, a prefix environment variable nor earlier configuration
// names a private one.
func (s *scanner) pipInstall(tool pipTool, args []string, env map[string]string, hit func(Kind, string)) {
	var index, extra string
	noIndex := false
	var pkgs []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		opt, inline, hasInline := a, "", false
		if strings.HasPrefix(a, "--") {
			opt, inline, hasInline = strings.Cut(a, "=")
		}
		val := func() string {
			if hasInline {
				return inline
			}
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch {
		case slices.Contains(tool.indexOptions, opt):
			index = val()
		case slices.Contains(tool.extraOptions, opt):
			extra = val()
		case a == "--no-index" || a == "--offline":
			noIndex = true
		case pipOptionsWithValue[opt]:
			if !hasInline {
				val()
			}
		case strings.HasPrefix(a, "-"):
		default:
			pkgs = append(pkgs, a)
		}
	}
	for _, p := range pkgs {
		if strings.Contains(p, "://") {
			if host, ok := urlHost(strings.TrimPrefix(strings.TrimPrefix(p, "git+"), "hg+")); ok && !PrivateHost(host) {
				hit(PipInstall, tool.label+" of "+p+" (public host "+host+")")
				return
			}
		}
	}
	switch {
	case noIndex:
		return
	case index != "":
		if host, ok := urlHost(index); !ok || PrivateHost(host) {
			return
		}
		hit(PipInstall, tool.label+" from the public index "+index)
		return
	case extra != "":
		if host, ok := urlHost(extra); !ok || PrivateHost(host) {
			return
		}
	}
	for _, k := range tool.indexEnv {
		if v, ok := env[k]; ok {
			if host, ok := urlHost(v); !ok || PrivateHost(host) {
				return
			}
			hit(PipInstall, tool.label+" from the public index "+v)
			return
		}
	}
	if tool.private(s) {
		return
	}
	why := "no private --index-url, pip.conf or CodeArtifact login before it"
	if tool.indexEnv[0] != "PIP_INDEX_URL" {
		why = "no private --default-index/--index-url, UV_DEFAULT_INDEX/UV_INDEX_URL or uv.toml before it; uv does not read pip.conf"
	}
	hit(PipInstall, tool.label+" from the public index pypi.org ("+why+")")
}

// pipConfig handles `pip config [--global|--user|--site] set KEY VALUE`.
func (s *scanner) pipConfig(args []string) {
	var pos []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			pos = append(pos, a)
		}
	}
	// pos: config set KEY VALUE
	if len(pos) < 4 || pos[1] != "set" {
		return
	}
	key := pos[2]
	if !strings.HasSuffix(key, ".index-url") && !strings.HasSuffix(key, ".extra-index-url") {
		return
	}
	if host, ok := urlHost(pos[3]); ok && PrivateHost(host) {
		s.pipPrivate = true
	}
}

// conda classifies conda/mamba/micromamba.
func (s *scanner) conda(name string, args []string, hit func(Kind, string)) {
	sub := firstNonOption(args)
	if sub == "env" {
		rest := args[1:]
		for i, a := range args {
			if a == "env" {
				rest = args[i+1:]
				break
			}
		}
		if es := firstNonOption(rest); es == "create" || es == "update" {
			sub = "env " + es
		} else {
			return
		}
	}
	switch sub {
	case "config":
		s.condaConfig(args)
		return
	case "install", "create", "update", "upgrade", "env create", "env update":
	default:
		return
	}
	override := false
	var channels []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--offline" || a == "--clone":
			return // nothing is downloaded
		case a == "--override-channels":
			override = true
		case (a == "-c" || a == "--channel") && i+1 < len(args):
			i++
			channels = append(channels, args[i])
		case strings.HasPrefix(a, "--channel="):
			channels = append(channels, strings.TrimPrefix(a, "--channel="))
		}
	}
	if override && len(channels) > 0 && allPrivateChannels(channels) {
		return
	}
	if s.condaPrivate {
		return
	}
	detail := name + " " + sub + " from public channels"
	if len(channels) > 0 {
		detail += " (" + strings.Join(channels, ", ")
		if !override {
			detail += "; without --override-channels the default channels are searched too"
		}
		detail += ")"
	} else {
		detail += " (the defaults: repo.anaconda.com / conda.anaconda.org)"
	}
	hit(CondaInstall, detail)
}

func allPrivateChannels(chs []string) bool {
	for _, c := range chs {
		if strings.HasPrefix(c, "file://") {
			continue
		}
		host, ok := urlHost(c)
		if !ok || !PrivateHost(host) {
			return false
		}
	}
	return true
}

// condaConfig handles `conda config --set channel_alias URL`, `--add channels X`,
// `--remove channels defaults` and `--remove-key channels`.
func (s *scanner) condaConfig(args []string) {
	for i := 0; i+1 < len(args); i++ {
		op, key := args[i], args[i+1]
		val := ""
		if i+2 < len(args) {
			val = args[i+2]
		}
		switch {
		case op == "--set" && key == "channel_alias":
			if host, ok := urlHost(val); ok && PrivateHost(host) {
				s.condaPrivate = true
			}
		case (op == "--add" || op == "--prepend" || op == "--append") && key == "channels" && val != "":
			if allPrivateChannels([]string{val}) {
				s.condaPrivateChannel = true
			}
		case op == "--remove" && key == "channels" && val == "defaults", op == "--remove-key" && key == "channels":
			s.condaDefaultsRemoved = true
		}
	}
	if s.condaPrivateChannel && s.condaDefaultsRemoved {
		s.condaPrivate = true
	}
}

// git classifies `git clone URL`.
func (s *scanner) git(args []string, hit func(Kind, string)) {
	// skip global options like -C dir, -c k=v
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		if (args[i] == "-C" || args[i] == "-c") && i+1 < len(args) {
			i++
		}
		i++
	}
	if i >= len(args) || args[i] != "clone" {
		return
	}
	withArg := map[string]bool{"-b": true, "--branch": true, "--depth": true, "-c": true, "--config": true, "-o": true,
		"--origin": true, "--reference": true, "-j": true, "--jobs": true, "--filter": true, "--separate-git-dir": true,
		"--template": true, "-u": true, "--upload-pack": true, "--shallow-since": true, "--shallow-exclude": true}
	for j := i + 1; j < len(args); j++ {
		a := args[j]
		if strings.HasPrefix(a, "-") {
			if withArg[a] {
				j++
			}
			continue
		}
		host, ok := gitHost(a)
		if ok && !PrivateHost(host) {
			hit(GitClone, "git clone of "+a+" (public host "+host+")")
		}
		return
	}
}

// gitHost extracts the host of a Git remote: URL, scp-like user@host:path,
// or codecommit::region://repo (AWS, private).
func gitHost(remote string) (string, bool) {
	if strings.HasPrefix(remote, "codecommit:") {
		return "git-codecommit.amazonaws.com", true
	}
	if strings.Contains(remote, "://") {
		return urlHost(remote)
	}
	if at := strings.Index(remote, "@"); at >= 0 {
		if colon := strings.Index(remote[at:], ":"); colon > 0 {
			h := remote[at+1 : at+colon]
			if h != "" && !strings.Contains(h, "$") {
				return strings.ToLower(h), true
			}
		}
	}
	return "", false
}

// npm classifies npm/yarn/pnpm installs.
func (s *scanner) npm(name string, args []string, env map[string]string, hit func(Kind, string)) {
	sub := firstNonOption(args)
	if sub == "config" {
		for i := 0; i+2 < len(args); i++ {
			if args[i] == "set" && args[i+1] == "registry" {
				if host, ok := urlHost(args[i+2]); ok && PrivateHost(host) {
					s.npmPrivate = true
				}
			}
			if args[i] == "set" && strings.HasPrefix(args[i+1], "registry=") {
				if host, ok := urlHost(strings.TrimPrefix(args[i+1], "registry=")); ok && PrivateHost(host) {
					s.npmPrivate = true
				}
			}
		}
		return
	}
	installs := map[string]bool{"install": true, "i": true, "ci": true, "add": true, "update": true, "install-test": true}
	if !(installs[sub] || (name == "yarn" && sub == "")) {
		return
	}
	if reg, ok := optionValue(args, "", "--registry"); ok {
		if host, ok := urlHost(reg); !ok || PrivateHost(host) {
			return
		}
	} else if v, ok := env["NPM_CONFIG_REGISTRY"]; ok {
		if host, ok := urlHost(v); !ok || PrivateHost(host) {
			return
		}
	} else if s.npmPrivate {
		return
	}
	hit(NpmInstall, name+" "+strings.TrimSpace(sub+" ")+"from the public npm registry")
}

// aws handles `aws codeartifact login --tool X` and `aws s3 cp ... pip.conf`.
func (s *scanner) aws(args []string) {
	if len(args) >= 2 && args[0] == "codeartifact" && args[1] == "login" {
		if tool, ok := optionValue(args, "", "--tool"); ok {
			switch tool {
			case "pip":
				s.pipPrivate = true
			case "npm":
				s.npmPrivate = true
			}
		}
		return
	}
	if len(args) >= 3 && args[0] == "s3" && (args[1] == "cp" || args[1] == "mv" || args[1] == "sync") {
		if f := configFile(args[len(args)-1]); f != "" {
			s.setPrivate(f)
		}
	}
}

// proxyVars are the environment variables pip, conda, curl, wget and git
// honour for an HTTP(S) proxy.
var proxyVars = map[string]bool{"HTTPS_PROXY": true, "https_proxy": true, "HTTP_PROXY": true, "http_proxy": true,
	"ALL_PROXY": true, "all_proxy": true}

// privateProxy reports a prefix assignment of a proxy variable with a private host.
func privateProxy(env map[string]string) bool {
	for k, v := range env {
		if proxyVars[k] {
			if host, ok := urlHost(v); ok && PrivateHost(host) {
				return true
			}
		}
	}
	return false
}

// privateProxyOption reports --proxy URL / -x URL with a private host.
func privateProxyOption(args []string) bool {
	for i, a := range args {
		v := ""
		switch {
		case (a == "--proxy" || a == "-x" || a == "-e") && i+1 < len(args):
			v = args[i+1]
			if a == "-e" { // wget -e https_proxy=...
				if k, val, ok := strings.Cut(v, "="); ok && proxyVars[k] {
					v = val
				} else {
					continue
				}
			}
		case strings.HasPrefix(a, "--proxy="):
			v = strings.TrimPrefix(a, "--proxy=")
		default:
			continue
		}
		if !strings.Contains(v, "://") {
			v = "http://" + v
		}
		if host, ok := urlHost(v); ok && PrivateHost(host) {
			return true
		}
	}
	return false
}

// applyEnv records exported configuration variables.
func (s *scanner) applyEnv(k, v string) {
	host, ok := urlHost(v)
	private := ok && PrivateHost(host)
	if proxyVars[k] && private {
		s.proxied = true
	}
	switch k {
	case "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL":
		if private {
			s.pipPrivate = true
		}
	case "UV_INDEX_URL", "UV_DEFAULT_INDEX":
		if private {
			s.uvPrivate = true
		}
	case "NPM_CONFIG_REGISTRY", "npm_config_registry":
		if private {
			s.npmPrivate = true
		}
	case "CONDA_CHANNEL_ALIAS":
		if private {
			s.condaPrivate = true
		}
	}
}

// configFile names the package-manager configuration a path is ("pip.conf",
// ".condarc", ".npmrc", "uv.toml"), or "".
func configFile(p string) string {
	switch b := path.Base(p); {
	case b == "pip.conf" || b == "pip.ini":
		return "pip.conf"
	case b == ".condarc" || b == "condarc":
		return ".condarc"
	case b == ".npmrc" || b == "npmrc":
		return ".npmrc"
	case b == "uv.toml":
		return "uv.toml"
	}
	return ""
}

// configWrittenBy judges a configuration file written by a redirection of a
// command without a here-document (echo "..." > /etc/pip.conf): by the URLs in
// the command when there are any; a copy of other content (cat x > pip.conf)
// counts as private.
func (s *scanner) configWrittenBy(f string, args []string) {
	var urls []string
	for _, a := range args {
		urls = append(urls, findURLs(a)...)
	}
	if len(urls) > 0 {
		if allPrivateURLs(urls) {
			s.setPrivate(f)
		}
		return
	}
	if name := path.Base(args[0]); name != "echo" && name != "printf" {
		s.setPrivate(f)
	}
}

// readConfigBody reads a here-document written to a configuration file.
func (s *scanner) readConfigBody(f string, t string) {
	switch f {
	case ".condarc":
		for _, l := range strings.Split(t, "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(l), ":")
			if ok && strings.TrimSpace(k) == "channel_alias" {
				if host, ok := urlHost(strings.Trim(strings.TrimSpace(v), `"'`)); ok && PrivateHost(host) {
					s.condaPrivate = true
					return
				}
			}
		}
		// Otherwise every channel must be a private URL: a bare name resolves
		// against the public channel_alias.
		private, any := true, false
		for _, l := range strings.Split(t, "\n") {
			l = strings.TrimSpace(l)
			if !strings.HasPrefix(l, "- ") {
				continue
			}
			any = true
			if !allPrivateChannels([]string{strings.Trim(strings.TrimSpace(l[2:]), `"'`)}) {
				private = false
			}
		}
		if any && private {
			s.condaPrivate = true
		}
	default:
		urls := findURLs(t)
		if len(urls) > 0 && allPrivateURLs(urls) {
			s.setPrivate(f)
		}
	}
}

func (s *scanner) setPrivate(f string) {
	switch f {
	case "pip.conf":
		s.pipPrivate = true
	case ".condarc":
		s.condaPrivate = true
	case ".npmrc":
		s.npmPrivate = true
	case "uv.toml":
		s.uvPrivate = true
	}
}

var urlRe = regexp.MustCompile(`(?i)\b(?:https?|ftp)://[^\s"'<>]+`)

func findURLs(t string) []string { return urlRe.FindAllString(t, -1) }

func allPrivateURLs(urls []string) bool {
	for _, u := range urls {
		if host, ok := urlHost(u); !ok || !PrivateHost(host) {
			return false
		}
	}
	return true
}

// urlArgs returns the words that are http(s)/ftp URLs (or carry one after =).
func urlArgs(args []string) []string {
	var out []string
	for _, a := range args {
		out = append(out, findURLs(a)...)
	}
	return out
}

// urlHost returns the lower-cased host of an http(s)/ftp/ssh/git URL; ok is
// false when there is none or it comes from a shell variable.
func urlHost(raw string) (string, bool) {
	raw = strings.Trim(raw, `"'`)
	if strings.HasPrefix(raw, "s3://") {
		return "s3.amazonaws.com", true
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		// url.Parse rejects hosts with shell syntax; look for it by hand.
		_, after, ok := strings.Cut(raw, "://")
		if !ok {
			return "", false
		}
		h := after
		if i := strings.IndexAny(h, "/?#"); i >= 0 {
			h = h[:i]
		}
		if strings.ContainsAny(h, "${}`") || h == "" {
			return "", false
		}
		if i := strings.LastIndex(h, "@"); i >= 0 {
			h = h[i+1:]
		}
		return strings.ToLower(strings.Split(h, ":")[0]), true
	}
	h := u.Hostname()
	if h == "" || strings.ContainsAny(h, "${}`") {
		return "", false
	}
	return strings.ToLower(h), true
}

// privateSuffixes are DNS suffixes that only resolve inside private networks.
var privateSuffixes = []string{".internal", ".local", ".localdomain", ".lan", ".corp", ".intranet", ".private", ".home.arpa"}

// awsSuffixes are AWS service domains: reachable through VPC endpoints, which
// the private-service-access control judges, so they are not public fetches here.
var awsSuffixes = []string{".amazonaws.com", ".amazonaws.com.cn", ".api.aws"}

// PrivateHost reports whether a host is reachable without public internet
// access: a private, loopback, link-local or shared-address IP; a single-label
// name or localhost; a name under a private-use suffix (.internal, .local,
// .corp, ...); or an AWS service domain (*.amazonaws.com: S3, CodeArtifact,
// CodeCommit, reached through VPC endpoints). Everything else is public.
func PrivateHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" {
		return false
	}
	if ip := net.ParseIP(host); ip != nil {
		if ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() {
			return true
		}
		_, cgnat, _ := net.ParseCIDR("100.64.0.0/10")
		return cgnat.Contains(ip)
	}
	if host == "localhost" || !strings.Contains(host, ".") {
		return true
	}
	for _, suf := range append(append([]string(nil), privateSuffixes...), awsSuffixes...) {
		if strings.HasSuffix(host, suf) {
			return true
		}
	}
	return false
}
