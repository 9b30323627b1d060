package rules

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/sigma"
)

// DefaultURL is SigmaHQ's release archive of every rule (core, emerging
// threats, threat hunting, placeholders, compliance, DFIR).
const DefaultURL = "https://github.com/SigmaHQ/sigma/releases/latest/download/sigma_all_rules.zip"

// Limits for the downloaded archive: SigmaHQ's is about 5 MB.
const (
	maxArchive   = 256 << 20
	maxRuleFile  = 4 << 20
	maxRuleFiles = 100000
)

// UpdateResult describes an installed rule set.
type UpdateResult struct {
	Dir    string
	Files  int
	Loaded int
	Failed int
	Bytes  int64
}

// Update downloads a zip archive of Sigma rules from url (https, or a local
// file path for air-gapped sites) and installs its rule files into dest,
// replacing what was there only once the new set has been read and
// compiled. progress, if not nil, is called as bytes arrive (total is -1
// when the server does not say).
func Update(ctx context.Context, client *http.Client, url, dest string, progress func(done, total int64)) (UpdateResult, error) {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return UpdateResult{}, err
	}
	tmpZip, err := os.CreateTemp(filepath.Dir(dest), ".sigma-*.zip")
	if err != nil {
		return UpdateResult{}, err
	}
	defer os.Remove(tmpZip.Name())
	defer tmpZip.Close()
	n, err := fetch(ctx, client, url, tmpZip, progress)
	if err != nil {
		return UpdateResult{}, err
	}
	res, err := Install(tmpZip, n, dest)
	res.Bytes = n
	return res, err
}

func fetch(ctx context.Context, client *http.Client, url string, w io.Writer, progress func(done, total int64)) (int64, error) {
	var body io.Reader
	total := int64(-1)
	switch {
	case strings.HasPrefix(url, "https://"), strings.HasPrefix(url, "http://"):
		if client == nil {
			client = &http.Client{Timeout: 5 * time.Minute}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("User-Agent", "bulwark-rules-update")
		resp, err := client.Do(req)
		if err != nil {
			return 0, fmt.Errorf("download %s: %w", url, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("download %s: %s", url, resp.Status)
		}
		body, total = resp.Body, resp.ContentLength
	default:
		f, err := os.Open(url)
		if err != nil {
			return 0, fmt.Errorf("rules archive: %w", err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			total = st.Size()
		}
		body = f
	}
	if total > maxArchive {
		return 0, fmt.Errorf("download %s: archive is %d bytes, more than the %d-byte limit", url, total, maxArchive)
	}
	var done int64
	buf := make([]byte, 64<<10)
	for {
		k, err := body.Read(buf)
		if k > 0 {
			done += int64(k)
			if done > maxArchive {
				return 0, fmt.Errorf("download %s: archive larger than the %d-byte limit", url, maxArchive)
			}
			if _, werr := w.Write(buf[:k]); werr != nil {
				return 0, werr
			}
			if progress != nil {
				progress(done, total)
			}
		}
		if errors.Is(err, io.EOF) {
			return done, nil
		}
		if err != nil {
			return 0, fmt.Errorf("download %s: %w", url, err)
		}
	}
}

// Install extracts the rule files of a zip archive into dest, atomically
// replacing an earlier installation. Paths that would escape dest are
// refused.
func Install(r io.ReaderAt, size int64, dest string) (UpdateResult, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return UpdateResult{}, fmt.Errorf("rules archive: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), ".sigma-new-*")
	if err != nil {
		return UpdateResult{}, err
	}
	defer os.RemoveAll(tmp)
	res := UpdateResult{Dir: dest}
	for _, f := range zr.File {
		name := path.Clean(strings.ReplaceAll(f.Name, "\\", "/"))
		if f.FileInfo().IsDir() || !(sigma.IsRuleFile(name) || path.Base(name) == "LICENSE") {
			continue
		}
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return res, fmt.Errorf("rules archive: entry %q points outside the archive", f.Name)
		}
		if f.UncompressedSize64 > maxRuleFile {
			return res, fmt.Errorf("rules archive: %s is %d bytes, too large for a rule", f.Name, f.UncompressedSize64)
		}
		res.Files++
		if res.Files > maxRuleFiles {
			return res, fmt.Errorf("rules archive: more than %d files", maxRuleFiles)
		}
		if err := extract(f, filepath.Join(tmp, filepath.FromSlash(name))); err != nil {
			return res, err
		}
	}
	if res.Files == 0 {
		return res, fmt.Errorf("rules archive holds no .yml rule files")
	}
	docs, err := LoadDir(tmp)
	if err != nil {
		return res, err
	}
	rs := sigma.Compile(docs, sigma.Options{})
	res.Loaded, res.Failed = rs.Loaded(), len(rs.Failed())
	if res.Loaded == 0 {
		return res, fmt.Errorf("rules archive: none of its %d files is a loadable Sigma rule", res.Files)
	}
	old := dest + ".old"
	os.RemoveAll(old)
	if _, err := os.Stat(dest); err == nil {
		if err := os.Rename(dest, old); err != nil {
			return res, err
		}
	}
	if err := os.Rename(tmp, dest); err != nil {
		os.Rename(old, dest) // put the previous set back
		return res, err
	}
	os.RemoveAll(old)
	return res, nil
}

func extract(f *zip.File, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("rules archive: %s: %w", f.Name, err)
	}
	defer rc.Close()
	w, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, io.LimitReader(rc, maxRuleFile+1)); err != nil {
		w.Close()
		return fmt.Errorf("rules archive: %s: %w", f.Name, err)
	}
	return w.Close()
}
