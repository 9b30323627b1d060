package provider

import (
	"container/list"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"sync"

	"github.com/bulwarkhq/bulwark/copilot"
)

// cacheKey is the SHA-256 of the canonical request: what decides the
// answer (model, messages, tools, max tokens, temperature) and nothing
// else, so the same question from two features is answered once.
type cacheKey [sha256.Size]byte

func requestKey(model string, req copilot.Request) (cacheKey, error) {
	canonical := struct {
		Model       string             `json:"model"`
		Messages    []copilot.Message  `json:"messages"`
		Tools       []copilot.ToolSpec `json:"tools"`
		MaxTokens   int                `json:"max_tokens"`
		Temperature *float64           `json:"temperature"`
	}{model, req.Messages, req.Tools, req.MaxTokens, req.Temperature}
	// encoding/json writes struct fields in order and compacts the raw
	// JSON schemas, so equal requests encode to equal bytes.
	data, err := json.Marshal(canonical)
	if err != nil {
		return cacheKey{}, err
	}
	return sha256.Sum256(data), nil
}

// responseCache is a fixed-size LRU cache of answers.
type responseCache struct {
	mu      sync.Mutex
	size    int
	order   *list.List // front is most recently used; values are *cacheEntry
	entries map[cacheKey]*list.Element
}

type cacheEntry struct {
	key  cacheKey
	resp copilot.Response
}

func newResponseCache(size int) *responseCache {
	return &responseCache{size: size, order: list.New(), entries: make(map[cacheKey]*list.Element, size)}
}

func (c *responseCache) get(key cacheKey) (copilot.Response, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return copilot.Response{}, false
	}
	c.order.MoveToFront(el)
	return cloneResponse(el.Value.(*cacheEntry).resp), true
}

func (c *responseCache) put(key cacheKey, resp copilot.Response) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		el.Value.(*cacheEntry).resp = cloneResponse(resp)
		c.order.MoveToFront(el)
		return
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, resp: cloneResponse(resp)})
	for c.order.Len() > c.size {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry).key)
	}
}

// cloneResponse copies the tool calls so that a caller editing its answer
// cannot change what the cache hands out next.
func cloneResponse(r copilot.Response) copilot.Response {
	r.Message.ToolCalls = slices.Clone(r.Message.ToolCalls)
	return r
}
