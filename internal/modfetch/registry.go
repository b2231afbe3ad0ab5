package modfetch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/hashicorp/go-version"
)

// maxJSONBytes bounds a registry answer (discovery, versions, download).
const maxJSONBytes = 4 << 20

// registry resolves a registry module's version and fetches the package its
// download endpoint points to.
func (f *Fetcher) registry(ctx context.Context, reg registryAddr, constraint string) (string, error) {
	constraint = strings.TrimSpace(constraint)
	if v, ok := exactVersion(constraint); ok {
		if dir, ok := f.cachedHit(registryKey(reg, v)); ok {
			return dir, nil
		}
	}
	base, err := f.discover(ctx, reg.host)
	if err != nil {
		return "", err
	}
	modURL := base.JoinPath(reg.namespace, reg.name, reg.provider)
	token := ""
	if strings.EqualFold(modURL.Host, reg.host) { // never sent to another host
		token = f.token(reg.host)
	}
	ver, err := f.resolveVersion(ctx, reg, modURL, constraint, token)
	if err != nil {
		return "", err
	}
	key := registryKey(reg, ver)
	if dir, ok := f.cachedHit(key); ok {
		return dir, nil
	}
	dl := modURL.JoinPath(ver, "download")
	loc, err := f.downloadLocation(ctx, dl, token)
	if err != nil {
		return "", fmt.Errorf("registry module %s %s: %w", reg, ver, err)
	}
	dir, err := f.location(ctx, loc, key)
	if err != nil {
		return "", fmt.Errorf("registry module %s %s from %s: %w", reg, ver, loc, err)
	}
	return dir, nil
}

func registryKey(reg registryAddr, ver string) string { return "registry:" + reg.String() + "@" + ver }

// exactVersion reports a constraint that names one version ("1.2.3", "=1.2.3").
func exactVersion(c string) (string, bool) {
	c = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c), "="))
	if c == "" || strings.ContainsAny(c, ",<>~! ") {
		return "", false
	}
	v, err := version.NewVersion(c)
	if err != nil {
		return "", false
	}
	return v.Original(), true
}

// discover reads https://HOST/.well-known/terraform.json and returns the
// modules.v1 base URL.
func (f *Fetcher) discover(ctx context.Context, host string) (*url.URL, error) {
	raw, err := f.once(f.services, host, func() (string, error) {
		wk := &url.URL{Scheme: "https", Host: host, Path: "/.well-known/terraform.json"}
		var doc map[string]any
		if _, err := f.getJSON(ctx, wk, &doc, ""); err != nil {
			return "", fmt.Errorf("service discovery of registry %s: %w", host, err)
		}
		raw, ok := doc["modules.v1"].(string)
		if !ok || raw == "" {
			return "", fmt.Errorf("registry %s does not offer modules.v1 in %s", host, wk)
		}
		ref, err := url.Parse(raw)
		if err != nil {
			return "", fmt.Errorf("registry %s: modules.v1 %q: %w", host, raw, err)
		}
		u := wk.ResolveReference(ref)
		if err := f.checkURL(u); err != nil {
			return "", fmt.Errorf("registry %s: %w", host, err)
		}
		return u.String(), nil
	})
	if err != nil {
		return nil, err
	}
	return url.Parse(raw)
}

// resolveVersion picks the newest version the constraint allows. Without a
// constraint, pre-releases are never chosen; with one, only when it names
// them (hashicorp/go-version's rule, which is Terraform's).
func (f *Fetcher) resolveVersion(ctx context.Context, reg registryAddr, modURL *url.URL, constraint, token string) (string, error) {
	var cons version.Constraints
	if constraint != "" {
		var err error
		if cons, err = version.NewConstraint(constraint); err != nil {
			return "", fmt.Errorf("registry module %s: version constraint %q: %w", reg, constraint, err)
		}
	}
	var doc struct {
		Modules []struct {
			Versions []struct {
				Version string `json:"version"`
			} `json:"versions"`
		} `json:"modules"`
	}
	if _, err := f.getJSON(ctx, modURL.JoinPath("versions"), &doc, token); err != nil {
		return "", fmt.Errorf("registry module %s: versions: %w", reg, err)
	}
	var all []*version.Version
	for _, m := range doc.Modules {
		for _, v := range m.Versions {
			if pv, err := version.NewVersion(v.Version); err == nil {
				all = append(all, pv)
			}
		}
	}
	if len(all) == 0 {
		return "", fmt.Errorf("registry module %s has no versions", reg)
	}
	sort.Sort(sort.Reverse(version.Collection(all)))
	for _, v := range all {
		if cons == nil {
			if v.Prerelease() == "" {
				return v.Original(), nil
			}
			continue
		}
		if cons.Check(v) {
			return v.Original(), nil
		}
	}
	shown := make([]string, 0, 5)
	for i, v := range all {
		if i == 5 {
			shown = append(shown, "...")
			break
		}
		shown = append(shown, v.Original())
	}
	if constraint == "" {
		return "", fmt.Errorf("registry module %s has only pre-release versions (%s): give a version constraint", reg, strings.Join(shown, ", "))
	}
	return "", fmt.Errorf("no version of registry module %s matches %q (newest: %s)", reg, constraint, strings.Join(shown, ", "))
}

// downloadLocation asks the download endpoint where the package is: the
// X-Terraform-Get header (204 or 200), or a JSON {"location": ...} body.
// A relative location is resolved against the download URL.
func (f *Fetcher) downloadLocation(ctx context.Context, dl *url.URL, token string) (string, error) {
	var body struct {
		Location string `json:"location"`
	}
	h, err := f.getJSON(ctx, dl, &body, token)
	if err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	loc := h.Get("X-Terraform-Get")
	if loc == "" {
		loc = body.Location
	}
	if loc == "" {
		return "", fmt.Errorf("download: %s gave no X-Terraform-Get location", dl)
	}
	if strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "./") || strings.HasPrefix(loc, "../") {
		ref, err := url.Parse(loc)
		if err != nil {
			return "", fmt.Errorf("download: location %q: %w", loc, err)
		}
		loc = dl.ResolveReference(ref).String()
	}
	return loc, nil
}

// getJSON GETs u and decodes a JSON body into out (a 204 has none). It
// returns the response headers. token, when set, is sent as a bearer token.
func (f *Fetcher) getJSON(ctx context.Context, u *url.URL, out any, token string) (http.Header, error) {
	if err := f.checkURL(u); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := f.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNoContent:
		return resp.Header, nil
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%s: not found (404)", redact(u))
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("%s: %s (a private registry needs a token: set TF_TOKEN_<host> as for terraform, or run `terraform init` and scan with .terraform/modules in place)", redact(u), resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s: %s", redact(u), resp.Status)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", redact(u), err)
	}
	if len(raw) > maxJSONBytes {
		return nil, fmt.Errorf("%s: answer larger than %d bytes", redact(u), maxJSONBytes)
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return resp.Header, nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, fmt.Errorf("%s: not JSON: %v", redact(u), err)
	}
	return resp.Header, nil
}

// token is the registry's API token for host, or "".
func (f *Fetcher) token(host string) string {
	if f.opts.Token == nil {
		return ""
	}
	return f.opts.Token(host)
}

// EnvToken reads registry tokens the way Terraform does: TF_TOKEN_ followed
// by the host name with "-" written "__" and "." written "_"
// (TF_TOKEN_app_terraform_io). Hosts with a port have none.
func EnvToken(getenv func(string) string) func(host string) string {
	return func(host string) string {
		if getenv == nil || strings.Contains(host, ":") {
			return ""
		}
		name := strings.ReplaceAll(strings.ReplaceAll(strings.ToLower(host), "-", "__"), ".", "_")
		return strings.TrimSpace(getenv("TF_TOKEN_" + name))
	}
}
