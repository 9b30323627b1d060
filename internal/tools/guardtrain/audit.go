package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/bulwarkhq/bulwark/guard/model"
)

// relabelTSV is the hand audit of evaluation-only labels (see its header).
//
//go:embed data/relabel.tsv
var relabelTSV []byte

// relabel is one audited text: its new class and the reason.
type relabel struct {
	class  int
	reason string
}

// parseRelabels reads the audit: hash prefix, label, reason per line.
func parseRelabels(data []byte) (map[string]relabel, error) {
	out := map[string]relabel{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 || len(f[0]) != 12 {
			return nil, fmt.Errorf("relabel.tsv:%d: want hash prefix (12 hex digits), label and reason separated by tabs", n)
		}
		class := slices.Index(model.ClassNames[:], f[1])
		if class < 0 {
			return nil, fmt.Errorf("relabel.tsv:%d: unknown label %q", n, f[1])
		}
		if _, dup := out[f[0]]; dup {
			return nil, fmt.Errorf("relabel.tsv:%d: %s listed twice", n, f[0])
		}
		out[f[0]] = relabel{class, f[2]}
	}
	return out, sc.Err()
}

// textKey is the audit's key for a text: the first 12 hex digits of its
// SHA-256.
func textKey(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:6])
}

// applyRelabels gives audited evaluation-only records their audited
// class. Training texts are never relabelled, and an entry that matches no
// text is an error, so the audit cannot go stale silently.
func applyRelabels(all []record, audit map[string]relabel) (int, error) {
	seen := map[string]bool{}
	n := 0
	for i := range all {
		r := &all[i]
		if r.Trainable {
			continue
		}
		key := textKey(r.Text)
		a, ok := audit[key]
		if !ok {
			continue
		}
		seen[key] = true
		if r.Class != a.class {
			r.Class, r.Label = a.class, model.ClassNames[a.class]
			n++
		}
	}
	for k := range audit {
		if !seen[k] {
			return 0, fmt.Errorf("relabel.tsv: %s matches no evaluation-only text", k)
		}
	}
	return n, nil
}
