package modfetch

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// archiveFormat is the format of an archive URL: ?archive=FORMAT, else the
// path's extension; "" when the URL is not an archive.
func archiveFormat(u *url.URL) string {
	if a := u.Query().Get("archive"); a != "" {
		return strings.ToLower(a)
	}
	p := strings.ToLower(u.Path)
	for _, ext := range []string{"tar.gz", "tgz", "zip", "tar"} {
		if strings.HasSuffix(p, "."+ext) {
			return ext
		}
	}
	return ""
}

// httpSource fetches an https location: an archive is downloaded and
// extracted; any other URL must answer with an X-Terraform-Get header
// naming the real location (go-getter's HTTP protocol), which may not be
// another such page.
func (f *Fetcher) httpSource(ctx context.Context, raw, key string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%q: %w", raw, err)
	}
	if err := f.checkURL(u); err != nil {
		return "", err
	}
	format := archiveFormat(u)
	if format == "" {
		loc, err := f.terraformGet(ctx, u)
		if err != nil {
			return "", err
		}
		if lu, err := url.Parse(loc); err == nil && (lu.Scheme == "https" || lu.Scheme == "http") && archiveFormat(lu) == "" {
			return "", fmt.Errorf("%s points to %s, which is neither an archive nor a git:: source", redact(u), loc)
		}
		return f.location(ctx, loc, key)
	}
	switch format {
	case "zip", "tar.gz", "tgz", "tar":
	default:
		return "", fmt.Errorf("%s: archive format %q is not supported (zip, tar.gz, tgz, tar)", redact(u), format)
	}
	q := u.Query()
	q.Del("archive")
	u.RawQuery = q.Encode()
	return f.fill(key, raw, func(dir string) error {
		if err := f.downloadArchive(ctx, u, format, dir); err != nil {
			return fmt.Errorf("%s: %w", redact(u), err)
		}
		return nil
	})
}

// terraformGet GETs a page and returns its X-Terraform-Get location,
// resolved against the page's URL.
func (f *Fetcher) terraformGet(ctx context.Context, u *url.URL) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	resp, err := f.opts.HTTPClient.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("%s: %s", redact(u), resp.Status)
	}
	loc := resp.Header.Get("X-Terraform-Get")
	if loc == "" {
		return "", fmt.Errorf("%s is not an archive (.zip, .tar.gz, .tgz, .tar or ?archive=) and gave no X-Terraform-Get location", redact(u))
	}
	if strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "./") || strings.HasPrefix(loc, "../") {
		ref, err := url.Parse(loc)
		if err != nil {
			return "", err
		}
		loc = u.ResolveReference(ref).String()
	}
	return loc, nil
}

// downloadArchive downloads u (at most MaxBytes) to a temporary file in the
// cache and extracts it into dir.
func (f *Fetcher) downloadArchive(ctx context.Context, u *url.URL, format, dir string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := f.opts.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	if resp.ContentLength > f.opts.MaxBytes {
		return fmt.Errorf("archive of %d bytes is larger than the limit of %d", resp.ContentLength, f.opts.MaxBytes)
	}
	tmp, err := os.CreateTemp(f.opts.CacheDir, ".download-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, f.opts.MaxBytes+1))
	if err != nil {
		return err
	}
	if n > f.opts.MaxBytes {
		return fmt.Errorf("archive larger than the limit of %d bytes", f.opts.MaxBytes)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	x := &extractor{root: dir, bytesLeft: f.opts.MaxBytes, filesLeft: f.opts.MaxFiles}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	switch format {
	case "zip":
		zr, err := zip.NewReader(tmp, n)
		if err != nil {
			return fmt.Errorf("not a zip archive: %w", err)
		}
		return x.zip(zr)
	case "tar":
		return x.tar(tar.NewReader(tmp))
	default:
		gz, err := gzip.NewReader(tmp)
		if err != nil {
			return fmt.Errorf("not a gzip archive: %w", err)
		}
		defer gz.Close()
		return x.tar(tar.NewReader(gz))
	}
}

// extractor writes archive entries under root, within its budgets.
type extractor struct {
	root      string
	bytesLeft int64
	filesLeft int
}

// target returns where an entry goes, refusing names that leave root.
func (x *extractor) target(name string) (string, error) {
	n := strings.ReplaceAll(name, `\`, "/")
	if path.IsAbs(n) || (len(n) > 1 && n[1] == ':') {
		return "", fmt.Errorf("archive entry %q has an absolute path", name)
	}
	clean := path.Clean(n)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("archive entry %q leaves the module directory", name)
	}
	t := filepath.Join(x.root, filepath.FromSlash(clean))
	if !within(x.root, t) {
		return "", fmt.Errorf("archive entry %q leaves the module directory", name)
	}
	return t, nil
}

func (x *extractor) file(name string, mode os.FileMode, r io.Reader) error {
	t, err := x.target(name)
	if err != nil {
		return err
	}
	x.filesLeft--
	if x.filesLeft < 0 {
		return errors.New("archive has more files than the limit")
	}
	if err := os.MkdirAll(filepath.Dir(t), 0o700); err != nil {
		return err
	}
	perm := os.FileMode(0o600)
	if mode&0o111 != 0 {
		perm = 0o700
	}
	out, err := os.OpenFile(t, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("archive entry %q: %w", name, err)
	}
	n, err := io.Copy(out, io.LimitReader(r, x.bytesLeft+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("archive entry %q: %w", name, err)
	}
	x.bytesLeft -= n
	if x.bytesLeft < 0 {
		return errors.New("archive expands beyond the size limit")
	}
	return nil
}

func (x *extractor) dir(name string) error {
	t, err := x.target(name)
	if err != nil {
		return err
	}
	return os.MkdirAll(t, 0o700)
}

func (x *extractor) tar(tr *tar.Reader) error {
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("bad tar archive: %w", err)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = x.dir(h.Name)
		case tar.TypeReg:
			err = x.file(h.Name, os.FileMode(h.Mode), tr)
		case tar.TypeXGlobalHeader, tar.TypeXHeader:
		case tar.TypeSymlink, tar.TypeLink:
			err = fmt.Errorf("archive entry %q is a link (to %q): links are not extracted", h.Name, h.Linkname)
		default:
			err = fmt.Errorf("archive entry %q is not a regular file or directory", h.Name)
		}
		if err != nil {
			return err
		}
	}
}

func (x *extractor) zip(zr *zip.Reader) error {
	for _, zf := range zr.File {
		m := zf.Mode()
		switch {
		case m.IsDir():
			if err := x.dir(zf.Name); err != nil {
				return err
			}
		case m.IsRegular():
			rc, err := zf.Open()
			if err != nil {
				return fmt.Errorf("archive entry %q: %w", zf.Name, err)
			}
			err = x.file(zf.Name, m, rc)
			rc.Close()
			if err != nil {
				return err
			}
		case m&os.ModeSymlink != 0:
			return fmt.Errorf("archive entry %q is a link: links are not extracted", zf.Name)
		default:
			return fmt.Errorf("archive entry %q is not a regular file or directory", zf.Name)
		}
	}
	return nil
}
