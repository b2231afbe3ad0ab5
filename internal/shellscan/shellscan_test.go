package shellscan

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// want is a compact expected hit: line and kind.
type want struct {
	line int
	kind Kind
}

func TestScan(t *testing.T) {
	tests := []struct {
		name   string
		script string
		want   []want
	}{
		{"empty", "", nil},
		{"comment only", "#!/bin/bash\n# pip install numpy\n", nil},
		{"pip public", "#!/bin/bash\nset -e\npip install pandas\n", []want{{3, PipInstall}}},
		{"pip3 with path", "/home/ec2-user/anaconda3/envs/python3/bin/pip3 install -U boto3", []want{{1, PipInstall}}},
		{"python -m pip", "python3 -m pip install --upgrade pip", []want{{1, PipInstall}}},
		{"pip requirements", "pip install -r /home/ec2-user/SageMaker/requirements.txt", []want{{1, PipInstall}}},
		{"pip private index-url", "pip install --index-url https://nexus.corp.internal/simple pandas", nil},
		{"pip private -i", "pip install -i http://10.0.3.4:8081/simple pandas", nil},
		{"pip private index-url=", "pip install --index-url=https://pypi.mirror.local/simple x", nil},
		{"pip public index-url", "pip install --index-url https://pypi.org/simple x", []want{{1, PipInstall}}},
		{"pip private extra-index-url", "pip install --extra-index-url https://mirror.internal/simple x", nil},
		{"pip no-index", "pip install --no-index --find-links /opt/wheels x", nil},
		{"pip codeartifact index", "pip install -i https://dom-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/repo/simple/ x", nil},
		{"pip git url public even with private index", "pip install -i https://mirror.internal/simple git+https://github.com/org/lib.git", []want{{1, PipInstall}}},
		{"pip config set private then install", "pip config set global.index-url https://mirror.internal/simple\npip install x", nil},
		{"pip config set public then install", "pip config set global.index-url https://pypi.org/simple\npip install x", []want{{2, PipInstall}}},
		{"install before config is public", "pip install x\npip config set global.index-url https://mirror.internal/simple", []want{{1, PipInstall}}},
		{"codeartifact login", "aws codeartifact login --tool pip --domain d --repository r\npip install x", nil},
		{"codeartifact npm does not cover pip", "aws codeartifact login --tool npm --domain d --repository r\npip install x", []want{{2, PipInstall}}},
		{"pip.conf heredoc private", "cat > /etc/pip.conf <<EOF\n[global]\nindex-url = https://mirror.corp/simple\nEOF\npip install x", nil},
		{"pip.conf heredoc public", "cat > /etc/pip.conf <<EOF\n[global]\nindex-url = https://pypi.org/simple\nEOF\npip install x", []want{{5, PipInstall}}},
		{"pip.conf echo private", "mkdir -p ~/.config/pip\necho -e \"[global]\\nindex-url = https://mirror.internal/simple\" > ~/.config/pip/pip.conf\npip install x", nil},
		{"pip.conf from s3", "aws s3 cp s3://bucket/pip.conf /etc/pip.conf\npip install x", nil},
		{"pip.conf tee heredoc", "sudo tee /etc/pip.conf > /dev/null <<'EOF'\n[global]\nindex-url = https://artifactory.example.internal/api/pypi/simple\nEOF\npip install y", nil},
		{"export PIP_INDEX_URL private", "export PIP_INDEX_URL=https://mirror.internal/simple\npip install x", nil},
		{"prefix PIP_INDEX_URL private", "PIP_INDEX_URL=https://mirror.internal/simple pip install x\npip install y", []want{{2, PipInstall}}},
		{"pip uninstall is fine", "pip uninstall -y x\npip list\npip freeze > req.txt", nil},
		{"conda public", "conda install -y -c conda-forge xgboost", []want{{1, CondaInstall}}},
		{"conda create public", "conda create -n myenv python=3.10 -y", []want{{1, CondaInstall}}},
		{"conda env create", "conda env create -f environment.yml", []want{{1, CondaInstall}}},
		{"mamba install", "mamba install -y numpy", []want{{1, CondaInstall}}},
		{"conda private override", "conda install --override-channels -c https://conda.mirror.internal/main numpy", nil},
		{"conda private without override", "conda install -c https://conda.mirror.internal/main numpy", []want{{1, CondaInstall}}},
		{"conda channel_alias private", "conda config --set channel_alias https://conda.mirror.internal\nconda install numpy", nil},
		{"conda add private + remove defaults", "conda config --add channels https://conda.mirror.internal/main\nconda config --remove channels defaults\nconda install numpy", nil},
		{"conda add private only", "conda config --add channels https://conda.mirror.internal/main\nconda install numpy", []want{{2, CondaInstall}}},
		{"condarc heredoc", "cat > ~/.condarc <<EOF\nchannel_alias: https://conda.mirror.internal\nEOF\nconda install numpy", nil},
		{"condarc heredoc public names", "cat > ~/.condarc <<EOF\nchannels:\n  - conda-forge\nEOF\nconda install numpy", []want{{5, CondaInstall}}},
		{"conda clone offline", "conda create -n b --clone base\nconda install --offline x", nil},
		{"conda activate", "source activate python3\nconda activate JupyterSystemEnv\nsource /home/ec2-user/anaconda3/bin/deactivate", nil},
		{"curl public", "curl -fsSL https://raw.githubusercontent.com/org/repo/main/setup.sh -o /tmp/setup.sh", []want{{1, Download}}},
		{"curl pipe bash", "curl -s https://get.example.com/install.sh | bash", []want{{1, Download}}},
		{"wget public", "wget -q https://github.com/org/repo/releases/download/v1/tool.tar.gz", []want{{1, Download}}},
		{"wget s3 https", "wget https://my-bucket.s3.us-east-1.amazonaws.com/tool.tar.gz", nil},
		{"curl metadata", "TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token)", nil},
		{"curl private ip", "curl http://10.1.2.3/x", nil},
		{"curl var host", "curl -o x \"$MIRROR_URL/tool.tgz\"\ncurl https://${HOST}/x", nil},
		{"command substitution", "VERSION=$(curl -s https://api.github.com/repos/x/y/releases/latest | jq -r .tag_name)", []want{{1, Download}}},
		{"aws s3 cp fine", "aws s3 cp s3://bucket/setup.sh /tmp/setup.sh\naws s3 sync s3://b/wheels /opt/wheels", nil},
		{"git clone github", "git clone https://github.com/aws/amazon-sagemaker-examples.git", []want{{1, GitClone}}},
		{"git clone ssh scp-like", "git clone --depth 1 git@gitlab.com:team/repo.git /home/ec2-user/SageMaker/repo", []want{{1, GitClone}}},
		{"git clone bitbucket", "git -C /tmp clone https://bitbucket.org/t/r.git", []want{{1, GitClone}}},
		{"git clone codecommit https", "git clone https://git-codecommit.us-east-1.amazonaws.com/v1/repos/ml", nil},
		{"git clone codecommit grc", "git clone codecommit::us-east-1://ml", nil},
		{"git pull is not judged", "cd repo && git pull", nil},
		{"npm install", "npm install -g @jupyterlab/git", []want{{1, NpmInstall}}},
		{"npm private registry", "npm install --registry https://npm.mirror.internal x", nil},
		{"npm config registry", "npm config set registry https://npm.mirror.internal\nnpm i x", nil},
		{"jupyter labextension", "jupyter labextension install @jupyter-widgets/jupyterlab-manager", []want{{1, NpmInstall}}},
		{"apt-get", "apt-get update && apt-get install -y htop", []want{{1, SystemPackage}, {1, SystemPackage}}},
		{"yum repo install ok", "sudo yum install -y htop", nil},
		{"yum url", "sudo yum install -y https://dl.fedoraproject.org/pub/epel/epel-release-latest-7.noarch.rpm", []want{{1, SystemPackage}}},
		{"sudo wrappers", "sudo -u ec2-user -i pip install x", []want{{1, PipInstall}}},
		{"sudo -E -H", "sudo -E -H pip install x", []want{{1, PipInstall}}},
		{"nohup background", "nohup pip install -r requirements.txt > /tmp/pip.log 2>&1 &", []want{{1, PipInstall}}},
		{"env wrapper", "env -i HOME=/root pip install x", []want{{1, PipInstall}}},
		{"timeout wrapper", "timeout 300 pip install x", []want{{1, PipInstall}}},
		{"chains", "cd /tmp; echo hi && pip install a || true", []want{{1, PipInstall}}},
		{"if then", "if ! python -c 'import x'; then pip install x; fi", []want{{1, PipInstall}}},
		{"for loop", "for env in base python3; do\n  source activate $env\n  pip install x\ndone", []want{{3, PipInstall}}},
		{"continuation", "pip install \\\n  pandas \\\n  numpy\necho done", []want{{1, PipInstall}}},
		{"continuation keeps private index", "pip install \\\n  --index-url https://mirror.internal/simple \\\n  numpy", nil},
		{"bash -c", "sudo -u ec2-user bash -c 'source activate python3 && pip install x'", []want{{1, PipInstall}}},
		{"bash -lc", "bash -lc \"conda install -y x\"", []want{{1, CondaInstall}}},
		{"su -c", "su - ec2-user -c \"pip install x\"", []want{{1, PipInstall}}},
		{"heredoc as ec2-user", "#!/bin/bash\nset -e\nsudo -u ec2-user -i <<'EOF'\nsource activate python3\npip install xgboost\nconda install -y -c conda-forge lightgbm\nEOF\necho done", []want{{5, PipInstall}, {6, CondaInstall}}},
		{"heredoc dash strips tabs", "sudo -u ec2-user -i <<-EOF\n\tpip install x\n\tEOF\npip install y", []want{{2, PipInstall}, {4, PipInstall}}},
		{"heredoc script written and run with nohup", "cat > /home/ec2-user/setup.sh <<'SCRIPT'\n#!/bin/bash\ncurl -O https://example.com/model.bin\nSCRIPT\nnohup bash /home/ec2-user/setup.sh &", []want{{3, Download}}},
		{"heredoc nohup sudo", "nohup sudo -b -u ec2-user -i <<'EOF' &\npip install x\nEOF", []want{{2, PipInstall}}},
		{"quoted hash is not a comment", "echo '# not a comment' && pip install x # install", []want{{1, PipInstall}}},
		{"url in comment ignored", "# curl https://github.com/x\necho ok # wget https://github.com/y", nil},
		{"herestring not heredoc", "python3 - <<< 'print(1)'\npip install x", []want{{2, PipInstall}}},
		{"crlf", "#!/bin/bash\r\npip install x\r\n", []want{{2, PipInstall}}},
		{"exported private proxy", "export https_proxy=http://proxy.corp.internal:3128\npip install x\ncurl -O https://github.com/x", nil},
		{"exported public proxy", "export HTTPS_PROXY=http://proxy.example.com:3128\npip install x", []want{{2, PipInstall}}},
		{"pip --proxy private", "pip install --proxy http://10.0.0.10:3128 x", nil},
		{"curl -x private", "curl -x proxy.internal:3128 -O https://github.com/x", nil},
		{"prefix proxy only for that command", "https_proxy=http://10.0.0.10:3128 pip install x\npip install y", []want{{2, PipInstall}}},
		{"unterminated heredoc ends at the end, as in bash", "sudo -u ec2-user -i <<EOF\npip install x", []want{{2, PipInstall}}},
		{"unterminated quoted heredoc", "sudo -u ec2-user -i <<'EOF'\npip install x\n", []want{{2, PipInstall}}},
		{"unterminated double-quoted heredoc", "sudo -u ec2-user -i <<\"EOF\"\npip install x", []want{{2, PipInstall}}},
		// Shapes a line scanner misses.
		{"function body", "setup() { pip install x; }\nsetup", []want{{1, PipInstall}}},
		{"function multi-line", "function setup {\n  echo start\n  conda install -y numpy\n}\nsetup", []want{{3, CondaInstall}}},
		{"case arm", "case \"$ENV\" in\n  dev) pip install x ;;\n  prod) echo no ;;\nesac", []want{{2, PipInstall}}},
		{"process substitution", "bash <(curl -s https://get.example.com/install.sh)", []want{{1, Download}}},
		{"pipe to bash", "wget -qO- https://get.example.com/x.sh | sudo bash", []want{{1, Download}}},
		{"subshell", "(cd /tmp && git clone https://github.com/o/r.git)", []want{{1, GitClone}}},
		{"brace group in && chain", "test -d /opt/x || { echo missing; npm install -g x; }", []want{{1, NpmInstall}}},
		{"while body after config", "pip config set global.index-url https://mirror.internal/simple\nwhile read p; do pip install \"$p\"; done < req.txt", nil},
		{"uv pip install", "uv pip install --system pandas", []want{{1, PipInstall}}},
		{"uv pip install private index", "uv pip install --index-url https://mirror.internal/simple pandas", nil},
		{"uv default-index private", "uv pip install --default-index=https://mirror.internal/simple pandas", nil},
		{"uv ignores pip.conf", "pip config set global.index-url https://mirror.internal/simple\nuv pip install pandas\npip install pandas", []want{{2, PipInstall}}},
		{"uv exported index", "export UV_DEFAULT_INDEX=https://mirror.internal/simple\nuv pip install x\nuv tool install ruff", nil},
		{"uv tool install", "uv tool install ruff", []want{{1, PipInstall}}},
		{"uvx", "uvx ruff check .", []want{{1, PipInstall}}},
		{"uv venv is fine", "uv venv /opt/venv\nuv pip list", nil},
		{"pipx install", "pipx install jupytext", []want{{1, PipInstall}}},
		{"pipx uses pip config", "export PIP_INDEX_URL=https://mirror.internal/simple\npipx install jupytext", nil},
		{"pipx pip-args private", "pipx install --pip-args='--index-url https://mirror.internal/simple' jupytext", nil},
		{"pipx list is fine", "pipx list", nil},
		{"micromamba create", "micromamba create -y -n env -c conda-forge python=3.11", []want{{1, CondaInstall}}},
		{"nested heredoc in bash -c", "bash -c 'pip install x; curl -O https://github.com/x'", []want{{1, PipInstall}, {1, Download}}},
		{"here-document fed to bash", "bash <<'EOF'\nset -e\ngit clone https://github.com/o/r.git\nEOF", []want{{3, GitClone}}},
		{"python here-document is data", "python3 - <<'EOF'\nimport os\nprint(os.environ['HOME'])\nEOF\necho ok", nil},
		{"template leftover is a variable", "pip install --index-url ${var.index_url} x\ncurl -O https://${local.host}/x", nil},
		{"cloudformation pseudo parameter", "aws s3 cp s3://bucket-${AWS::Region}/setup.sh /tmp/\npip install x", []want{{2, PipInstall}}},
		{"terraform directives", "%{ if install }\npip install x\n%{ endif }", []want{{2, PipInstall}}},
		{"export in declare form", "declare -x PIP_INDEX_URL=https://mirror.internal/simple\npip install x", nil},
		{"eval", "eval \"pip install x\"", []want{{1, PipInstall}}},
		{"here-string fed to bash", "sudo -u ec2-user bash <<< 'conda install -y numpy'", []want{{1, CondaInstall}}},
		{"here-string to python is data", "python3 <<< 'print(\"pip install x\")'", nil},
		{"local proxy in function", "f() {\n  export https_proxy=http://10.0.0.10:3128\n}\nf\ncurl -O https://github.com/x", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, err := Scan(tt.script)
			if err != nil {
				t.Fatalf("Scan(%q): %v", tt.script, err)
			}
			var got []want
			for _, h := range hits {
				got = append(got, want{h.Line, h.Kind})
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Scan(%q)\n got %v\nwant %v\nhits: %+v", tt.script, got, tt.want, hits)
			}
		})
	}
}

func TestHitText(t *testing.T) {
	hits, err := Scan("#!/bin/bash\npip install \\\n    pandas   # data\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 {
		t.Fatalf("got %d hits, want 1: %+v", len(hits), hits)
	}
	h := hits[0]
	if h.Line != 2 || h.Text != "pip install  pandas   # data" {
		t.Errorf("hit = line %d text %q", h.Line, h.Text)
	}
	if !strings.Contains(h.Detail, "pypi.org") {
		t.Errorf("detail %q does not name the index", h.Detail)
	}
	if h.String() != "line 2: "+h.Text {
		t.Errorf("String() = %q", h.String())
	}
}

func TestDetails(t *testing.T) {
	tests := []struct {
		script, contains string
	}{
		{"curl -O https://github.com/x/y.tgz", "public host github.com"},
		{"git clone git@github.com:o/r.git", "github.com"},
		{"conda install -c conda-forge x", "without --override-channels"},
		{"conda install x", "repo.anaconda.com"},
		{"pip install -i https://pypi.org/simple x", "https://pypi.org/simple"},
		{"uv pip install x", "uv does not read pip.conf"},
		{"pipx install --index-url https://pypi.org/simple x", "pipx install from the public index https://pypi.org/simple"},
	}
	for _, tt := range tests {
		hits, err := Scan(tt.script)
		if err != nil || len(hits) != 1 || !strings.Contains(hits[0].Detail, tt.contains) {
			t.Errorf("Scan(%q) = %+v, want one hit whose detail contains %q", tt.script, hits, tt.contains)
		}
	}
}

func TestPrivateHost(t *testing.T) {
	tests := map[string]bool{
		"pypi.org":                          false,
		"files.pythonhosted.org":            false,
		"github.com":                        false,
		"conda.anaconda.org":                false,
		"8.8.8.8":                           false,
		"mirror.internal":                   true,
		"nexus.corp":                        true,
		"mirror":                            true,
		"localhost":                         true,
		"10.0.0.5":                          true,
		"172.20.1.1":                        true,
		"192.168.0.1":                       true,
		"100.64.1.1":                        true,
		"169.254.169.254":                   true,
		"[fd00::1]":                         true,
		"bucket.s3.us-east-1.amazonaws.com": true,
		"d-1.d.codeartifact.eu-west-1.amazonaws.com": true,
		"s3.cn-north-1.amazonaws.com.cn":             true,
		"MIRROR.INTERNAL.":                           true,
		"":                                           false,
	}
	for host, want := range tests {
		if got := PrivateHost(host); got != want {
			t.Errorf("PrivateHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func FuzzScan(f *testing.F) {
	seeds := []string{
		"#!/bin/bash\nset -e\nsudo -u ec2-user -i <<'EOF'\nsource activate python3\npip install x\nEOF\n",
		"pip install \\\n --index-url https://m.internal/simple x\n",
		"curl -s $(wget -O- https://x.y/z) | sh # c\n",
		"cat > /etc/pip.conf <<-E\n\t[global]\n\tindex-url=https://a.b\n\tE\n",
		"bash -c \"su - u -c 'conda install -c x y'\"\n",
		"git clone git@github.com:o/r.git && npm i && apt-get install -y z &\n",
		"'\"`$(\\\n<<\n<<-\n<<<",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		lines := strings.Count(strings.ReplaceAll(script, "\r\n", "\n"), "\n") + 1
		prev := 0
		hits, err := Scan(script)
		var perr *ParseError
		if err != nil && (!errors.As(err, &perr) || perr.Line < 1 || perr.Line > lines || perr.Msg == "") {
			t.Fatalf("error %v is not a ParseError with a line in 1..%d", err, lines)
		}
		for _, h := range hits {
			if h.Line < 1 || h.Line > lines {
				t.Fatalf("hit line %d outside 1..%d", h.Line, lines)
			}
			if h.Line < prev {
				t.Fatalf("hits out of order: %d after %d", h.Line, prev)
			}
			prev = h.Line
			if h.Kind == "" || h.Detail == "" {
				t.Fatalf("hit without kind or detail: %+v", h)
			}
		}
	})
}

// TestTemplateLeftoversTakeFewParses: a script read with file() from a
// Terraform template keeps its ${...} expressions; they are variables to the
// scan (hosts built from them are not judged), however many there are.
func TestTemplateLeftoversTakeFewParses(t *testing.T) {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	for i := range 200 {
		fmt.Fprintf(&b, "echo ${var.setting_%d} ${lookup(var.m, \"k%d\")}\n", i, i)
	}
	b.WriteString("pip install --index-url ${var.index_url} x\ncurl -O https://github.com/o/r/archive/${local.ref}.tgz\n")
	hits, err := Scan(b.String())
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if len(hits) != 1 || hits[0].Line != 203 || hits[0].Kind != Download {
		t.Errorf("hits = %+v, want the curl of github.com at line 203", hits)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name     string
		script   string
		line     int
		hitLines []int
	}{
		{"unterminated quote", "#!/bin/bash\npip install 'x", 2, nil},
		{"unclosed if", "echo start\nif true; then\n  pip install x\n", 2, nil},
		{"hits before the error are kept", "pip install a\necho ok\nfor x in; do\n", 3, []int{1}},
		{"here-document fed to a shell", "sudo -u ec2-user -i <<'EOF'\npip install a\nif then\nEOF\n", 3, []int{2}},
		{"bash -c string", "echo a\nbash -c 'pip install x; ( echo'", 2, []int{2}},
		{"arithmetic", "n=$(( 1 + ))\n", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, err := Scan(tt.script)
			var perr *ParseError
			if !errors.As(err, &perr) {
				t.Fatalf("Scan(%q) error = %v, want a *ParseError", tt.script, err)
			}
			if perr.Line != tt.line || !strings.Contains(err.Error(), fmt.Sprintf("line %d", tt.line)) {
				t.Errorf("error %q at line %d, want line %d", err, perr.Line, tt.line)
			}
			var lines []int
			for _, h := range hits {
				lines = append(lines, h.Line)
			}
			if fmt.Sprint(lines) != fmt.Sprint(tt.hitLines) {
				t.Errorf("hit lines %v, want %v", lines, tt.hitLines)
			}
		})
	}
}

// TestDataHereDocumentIsNotAnError: a here-document that is not run by a
// shell (a Python program, a file written for later) is judged as far as it
// parses and never makes the script unparseable.
func TestDataHereDocumentIsNotAnError(t *testing.T) {
	script := "cat > /tmp/x.py <<'EOF'\nif x:\n    print('a')\nEOF\ncurl -O https://github.com/x\n"
	hits, err := Scan(script)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if len(hits) != 1 || hits[0].Line != 5 || hits[0].Kind != Download {
		t.Errorf("hits = %+v, want the download at line 5", hits)
	}
}
