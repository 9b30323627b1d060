package server

import (
	"cmp"
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
	// Objects go to the store a thousand at a time, so a large pull does
	// not sit in memory; one the store cannot take (invalid STIX from a
	// peer) is skipped and counted, so it cannot stop every later pull at
	// the same place. Adding is idempotent: objects pulled again after a
	// crash, before the cursor was saved, are not duplicated.
	var entries []taxii.Entry
	var invalid int
	var firstInvalid, storeErr error
	flush := func() error {
		if len(entries) == 0 {
			return nil
		}
		if _, err := s.taxiiStore.Add(ctx, col.ID, entries, time.Now()); err != nil {
			storeErr = err
			return err
		}
		entries = entries[:0]
		return nil
	}
	n, err := c.GetObjects(ctx, root, f.Collection, nil, func(o stix.Object) error {
		e, err := taxii.NewEntry(o, nil)
		if err != nil {
			if invalid++; firstInvalid == nil {
				firstInvalid = err
			}
			return nil
		}
		entries = append(entries, e)
		if len(entries) == 1000 {
			return flush()
		}
		return nil
	})
	if ferr := flush(); ferr != nil || storeErr != nil {
		// The cursor is not saved: the next pull fetches these again.
		return 0, cmp.Or(ferr, storeErr)
	}
	if invalid > 0 {
		s.log.Warn("intel feed objects skipped: not valid STIX 2.1", "feed", f.URL, "collection", f.Collection, "count", invalid, "first", firstInvalid)
	}
	if b, merr := json.Marshal(c.Cursors); merr == nil {
		if serr := s.st.SetSetting(ctx, key, string(b)); serr != nil {
			s.log.Warn("intel feed cursor not saved", "err", serr)
		}
	}
	return n, err
}
