package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/intel/stix"
)

// Client talks to TAXII 2.1 servers. Its zero value works with
// http.DefaultClient and no credentials.
type Client struct {
	HTTP *http.Client
	// User and Password are sent as HTTP Basic credentials; Token, when
	// set, as a bearer token instead.
	User, Password, Token string
	// Cursors maps a collection's URL to the date_added of the last object
	// pulled from it, so the next GetObjects asks only for what is newer.
	// Callers persist it between runs.
	Cursors map[string]time.Time
	// PollInterval is the wait between status polls after Add (default 1s).
	PollInterval time.Duration
	// MaxResponse bounds one response body (default 64 MiB).
	MaxResponse int64
}

func (c *Client) do(ctx context.Context, method, u string, body []byte, v any) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", MediaType)
	if body != nil {
		req.Header.Set("Content-Type", MediaType)
	}
	switch {
	case c.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.Token)
	case c.User != "":
		req.SetBasicAuth(c.User, c.Password)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	limit := c.MaxResponse
	if limit <= 0 {
		limit = 64 << 20
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s %s: response exceeds %d bytes", method, u, limit)
	}
	if res.StatusCode >= 300 {
		em := &ErrorMessage{}
		if json.Unmarshal(b, em) != nil || em.Title == "" {
			em.Title = http.StatusText(res.StatusCode)
		}
		em.HTTPStatus = strconv.Itoa(res.StatusCode)
		return res.Header, fmt.Errorf("%s %s: %w", method, u, em)
	}
	if v != nil && len(b) > 0 {
		if err := json.Unmarshal(b, v); err != nil {
			return res.Header, fmt.Errorf("%s %s: %w", method, u, err)
		}
	}
	return res.Header, nil
}

func slash(u string) string {
	if !strings.HasSuffix(u, "/") {
		return u + "/"
	}
	return u
}

// Discover reads a server's discovery resource.
func (c *Client) Discover(ctx context.Context, discoveryURL string) (Discovery, error) {
	var d Discovery
	_, err := c.do(ctx, "GET", slash(discoveryURL), nil, &d)
	return d, err
}

// ResolveRoot turns what a user typed into an API root URL: a discovery URL
// (ending in /taxii2/) gives its default API root, or its first; anything
// else is taken as an API root.
func (c *Client) ResolveRoot(ctx context.Context, u string) (string, error) {
	u = slash(u)
	if !strings.HasSuffix(u, "/taxii2/") {
		return u, nil
	}
	d, err := c.Discover(ctx, u)
	if err != nil {
		return "", err
	}
	root := d.Default
	if root == "" && len(d.APIRoots) > 0 {
		root = d.APIRoots[0]
	}
	if root == "" {
		return "", fmt.Errorf("%s lists no API root", u)
	}
	// API roots may be given relative to the discovery URL.
	base, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	ref, err := url.Parse(root)
	if err != nil {
		return "", fmt.Errorf("api root %q: %w", root, err)
	}
	return slash(base.ResolveReference(ref).String()), nil
}

// APIRoot reads an API root's information.
func (c *Client) APIRoot(ctx context.Context, root string) (APIRoot, error) {
	var a APIRoot
	_, err := c.do(ctx, "GET", slash(root), nil, &a)
	return a, err
}

// Collections lists the collections of an API root the caller can see.
func (c *Client) Collections(ctx context.Context, root string) ([]CollectionInfo, error) {
	var cs Collections
	_, err := c.do(ctx, "GET", slash(root)+"collections/", nil, &cs)
	return cs.Collections, err
}

// CollectionURL is the URL of a collection, the key of Cursors.
func CollectionURL(root, id string) string {
	return slash(root) + "collections/" + url.PathEscape(id) + "/"
}

// GetObjects pulls the objects of a collection, page by page, calling fn
// for each. query holds extra filters (match[type], ...). When Cursors
// knows the collection and query sets no added_after, only objects added
// since the last pull are asked for; the cursor moves after each page fn
// accepted, so an interrupted pull resumes where it stopped (the page it
// stopped in comes again whole). The cursor is per collection, not per
// query: after a pull filtered by match[type], an unfiltered pull starts
// at the same point and misses older objects of the other types; use a
// separate Client (or clear Cursors) for differently filtered pulls.
func (c *Client) GetObjects(ctx context.Context, root, collection string, query url.Values, fn func(stix.Object) error) (int, error) {
	key := CollectionURL(root, collection)
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	if q.Get("added_after") == "" && !c.Cursors[key].IsZero() {
		q.Set("added_after", FormatTime(c.Cursors[key]))
	}
	n := 0
	for {
		var env Envelope
		asked := q.Encode()
		h, err := c.do(ctx, "GET", key+"objects/?"+asked, nil, &env)
		if err != nil {
			return n, err
		}
		for i, raw := range env.Objects {
			var o stix.Object
			if err := json.Unmarshal(raw, &o); err != nil {
				return n, fmt.Errorf("%s: objects[%d]: %w", key, i, err)
			}
			if err := fn(o); err != nil {
				return n, err
			}
			n++
		}
		last := h.Get("X-TAXII-Date-Added-Last")
		// The cursor only moves forward: a server's odd header must not
		// make the next pull fetch everything again.
		if t, err := ParseTime(last); err == nil && len(env.Objects) > 0 && t.After(c.Cursors[key]) {
			if c.Cursors == nil {
				c.Cursors = map[string]time.Time{}
			}
			c.Cursors[key] = t
		}
		if !env.More {
			return n, nil
		}
		switch {
		case len(env.Objects) == 0:
			return n, fmt.Errorf("%s: server says more but sent an empty page", key)
		case env.Next != "":
			q.Set("next", env.Next)
		case last != "":
			// No next: page by date_added, as the specification allows.
			q.Set("added_after", last)
		default:
			return n, fmt.Errorf("%s: server says more but gives neither next nor X-TAXII-Date-Added-Last", key)
		}
		// A server that hands back the position it was asked for would
		// keep the client asking for the same page forever.
		if q.Encode() == asked {
			return n, fmt.Errorf("%s: server says more but the next page is the one just read", key)
		}
	}
}

// Add posts objects to a collection, in as many envelopes as the API
// root's max_content_length requires, and waits for each status to
// complete. The returned status sums them.
func (c *Client) Add(ctx context.Context, root, collection string, objs []stix.Object) (Status, error) {
	a, err := c.APIRoot(ctx, root)
	if err != nil {
		return Status{}, err
	}
	limit := a.MaxContentLength
	if limit <= 0 {
		limit = 10 << 20
	}
	var total Status
	var batch [][]byte
	size := int64(len(`{"objects":[]}`))
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		body := append([]byte(`{"objects":[`), bytes.Join(batch, []byte(","))...)
		body = append(body, "]}"...)
		st, err := c.post(ctx, root, collection, body)
		if err != nil {
			return err
		}
		total.merge(st)
		batch, size = nil, int64(len(`{"objects":[]}`))
		return nil
	}
	for _, o := range objs {
		b, err := o.MarshalJSON()
		if err != nil {
			return total, fmt.Errorf("%s: %w", o.ID, err)
		}
		if int64(len(b))+size+1 > limit {
			if err := flush(); err != nil {
				return total, err
			}
			if int64(len(b))+size > limit {
				return total, fmt.Errorf("%s: %d bytes exceed the server's max_content_length %d", o.ID, len(b), limit)
			}
		}
		batch = append(batch, b)
		size += int64(len(b)) + 1
	}
	return total, flush()
}

func (c *Client) post(ctx context.Context, root, collection string, body []byte) (Status, error) {
	var st Status
	if _, err := c.do(ctx, "POST", CollectionURL(root, collection)+"objects/", body, &st); err != nil {
		return st, err
	}
	wait := c.PollInterval
	if wait <= 0 {
		wait = time.Second
	}
	for st.Status == "pending" {
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(wait):
		}
		if _, err := c.do(ctx, "GET", slash(root)+"status/"+url.PathEscape(st.ID)+"/", nil, &st); err != nil {
			return st, err
		}
	}
	if st.Status != "complete" {
		return st, errors.New("status " + st.ID + ": unexpected state " + strconv.Quote(st.Status))
	}
	return st, nil
}

func (s *Status) merge(o Status) {
	if s.ID == "" {
		s.ID, s.RequestTimestamp = o.ID, o.RequestTimestamp
	}
	s.Status = o.Status
	s.TotalCount += o.TotalCount
	s.SuccessCount += o.SuccessCount
	s.FailureCount += o.FailureCount
	s.PendingCount += o.PendingCount
	s.Successes = append(s.Successes, o.Successes...)
	s.Failures = append(s.Failures, o.Failures...)
	s.Pendings = append(s.Pendings, o.Pendings...)
}
