package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/report"
)

// uploadPath is the server route 'bulwark scan --upload' posts to.
const uploadPath = "/api/v1/supply/scans"

// uploadTimeout bounds an upload: a report of a large monorepo is a few
// MiB, and a hung server must not hang the CI job.
const uploadTimeout = 2 * time.Minute

// uploadTarget is where and as what 'bulwark scan --upload' sends.
type uploadTarget struct {
	base, token, project string
	http                 *http.Client
}

// newUploadTarget checks the upload flags before the scan runs, so that a
// mistake costs no scan: the URL, plain HTTP only on loopback (the token
// would travel in clear), a token, and a project name.
func newUploadTarget(o *scanOptions, paths []string) (*uploadTarget, error) {
	u, err := url.Parse(strings.TrimRight(o.upload, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--upload %q: give the server's http(s) URL, such as https://bulwark.example.org", o.upload)
	}
	if u.Scheme == "http" && !o.insecure && !loopbackHost(u.Hostname()) {
		return nil, usagef("--upload %s: plain HTTP beyond loopback would send the token in clear; use https, or --insecure", o.upload)
	}
	token := o.token
	if token == "" {
		token = os.Getenv(envToken)
	}
	if token == "" {
		return nil, usagef("--upload needs a token: --token or %s (bulwark token create --name ci --role ingest)", envToken)
	}
	project := o.project
	if project == "" {
		abs, err := filepath.Abs(paths[0])
		if err != nil {
			return nil, err
		}
		project = filepath.Base(abs)
		if st, err := os.Stat(abs); err == nil && !st.IsDir() {
			project = filepath.Base(filepath.Dir(abs))
		}
	}
	u.Path = strings.TrimSuffix(u.Path, uploadPath) + uploadPath
	u.RawQuery = url.Values{"project": {project}}.Encode()
	return &uploadTarget{base: u.String(), token: token, project: project, http: &http.Client{Timeout: uploadTimeout}}, nil
}

// send posts the JSON report and returns what the server recorded. The
// server answers only once the scan is committed.
func (t *uploadTarget) send(ctx context.Context, findings []supply.Finding, opts report.Options) (store.SupplyScan, error) {
	var sum store.SupplyScan
	var body bytes.Buffer
	if err := report.JSON(&body, findings, opts); err != nil {
		return sum, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base, &body)
	if err != nil {
		return sum, err
	}
	req.Header.Set("Authorization", "Bearer "+t.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.http.Do(req)
	if err != nil {
		return sum, fmt.Errorf("upload: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return sum, fmt.Errorf("upload: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		var e struct{ Error string }
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			return sum, fmt.Errorf("upload: server answered %s: %s", resp.Status, e.Error)
		}
		return sum, fmt.Errorf("upload: server answered %s", resp.Status)
	}
	if err := json.Unmarshal(raw, &sum); err != nil {
		return sum, fmt.Errorf("upload: the server's answer: %w", err)
	}
	return sum, nil
}
