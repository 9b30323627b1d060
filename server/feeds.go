package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/intel/taxii"
)

// FeedConfig is a TAXII collection the server pulls on a schedule. What it
// pulls lands in a local collection of the same title (read by viewers)
// and its indicators are matched against events from then on.
type FeedConfig struct {
	Name       string `yaml:"name"`       // local name; default the collection id
	URL        string `yaml:"url"`        // the TAXII discovery or API root URL
	Collection string `yaml:"collection"` // id (or alias) at the source
	// TokenEnv, or User and PasswordEnv, name the credentials; the
	// secrets stay in the environment.
	TokenEnv    string   `yaml:"token_env"`
	User        string   `yaml:"user"`
	PasswordEnv string   `yaml:"password_env"`
	Interval    Duration `yaml:"interval"` // default 1h
}

// feedCollection is the local collection a feed fills: a stable id
// derived from the feed's source, so restarts keep adding to it.
func feedCollection(f FeedConfig) taxii.Collection {
	id := stix.UUIDv5(stix.Namespace, []byte("bulwark-feed:"+f.URL+"\x00"+f.Collection))
	name := f.Name
	if name == "" {
		name = f.Collection
	}
	return taxii.Collection{ID: id, Alias: "feed-" + name, Title: "Feed: " + name,
		Description: "Pulled from " + f.URL + " collection " + f.Collection,
		Read:        []string{"group:viewer"}, Amber: []string{"group:analyst"}}
}

// feedLoop pulls one feed at start and every interval.
func (s *Server) feedLoop(ctx context.Context, f FeedConfig) {
	every := time.Duration(f.Interval)
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.pullFeed(ctx, f); err != nil {
			s.log.Error("intel feed pull failed", "feed", f.URL, "collection", f.Collection, "err", err)
		} else if n > 0 {
			s.log.Info("intel feed pulled", "feed", f.URL, "collection", f.Collection, "objects", n)
			if _, err := s.loadIntel(); err != nil {
				s.log.Error("intel reload after a feed pull failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pullFeed pulls what the feed added since the last pull into its local
// collection; the cursor is kept in the store's settings, so a restart
// resumes where the last pull stopped.
func (s *Server) pullFeed(ctx context.Context, f FeedConfig) (int, error) {
	if s.taxiiStore == nil {
		return 0, fmt.Errorf("no TAXII store")
	}
	col := feedCollection(f)
	if err := s.taxiiStore.PutCollection(ctx, col); err != nil {
		return 0, err
	}
	c := &taxii.Client{HTTP: &http.Client{Timeout: 2 * time.Minute}, User: f.User}
	if f.TokenEnv != "" {
		c.Token = os.Getenv(f.TokenEnv)
	}
	if f.PasswordEnv != "" {
		c.Password = os.Getenv(f.PasswordEnv)
	}
	key := "intel.feed." + col.ID
	if v, ok, err := s.st.GetSetting(ctx, key); err == nil && ok {
		_ = json.Unmarshal([]byte(v), &c.Cursors)
	}
	root, err := c.ResolveRoot(ctx, f.URL)
	if err != nil {
		return 0, err
	}
	var entries []taxii.Entry
	n, err := c.GetObjects(ctx, root, f.Collection, nil, func(o stix.Object) error {
		e, err := taxii.NewEntry(o, nil)
		if err != nil {
			return err
		}
		entries = append(entries, e)
		return nil
	})
	if len(entries) > 0 {
		if _, aerr := s.taxiiStore.Add(ctx, col.ID, entries, time.Now()); aerr != nil {
			return 0, aerr
		}
	}
	if b, merr := json.Marshal(c.Cursors); merr == nil {
		if serr := s.st.SetSetting(ctx, key, string(b)); serr != nil {
			s.log.Warn("intel feed cursor not saved", "err", serr)
		}
	}
	return n, err
}
