// Package ruledoc caches the JSON documents of the rules alerts come
// from. The stores keep each rule once (alert_rules), keyed by a digest of
// its JSON, and an alert points at it: a busy server raises thousands of
// alerts of the same few rules, so encoding and hashing each rule once
// saves most of the work of storing an alert.
package ruledoc

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bulwarkhq/bulwark/alert"
)

// Doc is a rule's JSON and its key in alert_rules.
type Doc struct {
	Key  string
	JSON []byte
	// Stored says the rule is known to be in alert_rules. A store sets
	// it in the transaction that writes the rule, and Undo clears it if
	// that transaction does not commit.
	Stored atomic.Bool
}

// Undo forgets that rules were stored by a transaction that did not
// commit.
func Undo(added []*Doc) {
	for _, d := range added {
		d.Stored.Store(false)
	}
}

// Cache maps rules to their documents. The zero value is ready to use and
// safe for concurrent use.
type Cache struct {
	mu sync.Mutex
	m  map[identity]*Doc
}

// identity is every field of an alert.Rule, in a comparable form.
type identity struct {
	id, title, level, status, author, description, path, link, attack, tags string
}

// maxDocs bounds the cache; past it, it starts afresh.
const maxDocs = 20000

// Doc returns r's document.
func (c *Cache) Doc(r *alert.Rule) *Doc {
	k := identity{r.ID, r.Title, r.Level, r.Status, r.Author, r.Description, r.Path, r.Link,
		strings.Join(r.Attack, "\x00"), strings.Join(r.Tags, "\x00")}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.m[k]; ok {
		return d
	}
	if c.m == nil || len(c.m) >= maxDocs {
		c.m = make(map[identity]*Doc)
	}
	data, _ := json.Marshal(r) // a struct of strings and string slices cannot fail
	sum := sha256.Sum256(data)
	d := &Doc{Key: hex.EncodeToString(sum[:16]), JSON: data}
	c.m[k] = d
	return d
}

// Encode splits an alert for storing: its rule's document, and the
// alert's own JSON without the rule, which the row points at by key.
func (c *Cache) Encode(a alert.Alert) (*Doc, []byte, error) {
	d := c.Doc(&a.Rule)
	a.Rule = alert.Rule{}
	data, err := json.Marshal(&a)
	return d, data, err
}
