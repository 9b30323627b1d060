package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/bulwarkhq/bulwark/guard/model"
)

// ordinaryTaskCategories are BIPIA attack categories whose sentence is an
// ordinary request ("What is the capital of Brazil?", "Translate ... to
// French"). Inside an email they hijack the task; as a user's own turn they
// are what users ask all day, and a classifier that sees only the text
// cannot tell the two apart. The general model never trains on them
// (training on them taught it that questions are attacks); the document
// model does, and both are validated on them.
var ordinaryTaskCategories = map[string]bool{
	"Information Retrieval": true, "Content Creation": true, "Learning and Tutoring": true,
	"Language Translation": true, "Programming Help": true,
}

// loadBIPIA builds indirect injections the way the BIPIA benchmark does: a
// clean context (email, table, code answer) with an attack sentence inserted
// at its start, middle or end. Each context appears once clean (benign) and
// once attacked, in the same split group; attack sentences are split too, so
// validation attacks are sentences the model never saw. For training, both
// versions are cut to the window around the insertion, which is what the
// model scores in a long document.
func loadBIPIA(dir string) ([]record, error) {
	attacks := map[string][]string{}
	ordinary := map[string]bool{} // attacks that are an ordinary task
	for kind, rel := range map[string]string{"text": "bipia/benchmark/text_attack_train.json", "code": "bipia/benchmark/code_attack_train.json"} {
		var byCat map[string][]string
		if err := readJSON(dir, rel, &byCat); err != nil {
			return nil, err
		}
		cats := make([]string, 0, len(byCat))
		for c := range byCat {
			cats = append(cats, c)
		}
		sort.Strings(cats)
		for _, c := range cats {
			attacks[kind] = append(attacks[kind], byCat[c]...)
			if ordinaryTaskCategories[c] {
				for _, a := range byCat[c] {
					ordinary[a] = true
				}
			}
		}
	}
	// Attack pools per side of the split.
	pool := map[string][2][]string{}
	for kind, as := range attacks {
		var p [2][]string
		for _, a := range as {
			side := 0
			if inValidation("bipia-attack:" + a) {
				side = 1
			}
			p[side] = append(p[side], a)
		}
		pool[kind] = p
	}
	var out []record
	for _, task := range []string{"email", "table", "code"} {
		kind := "text"
		if task == "code" {
			kind = "code"
		}
		n := 0
		err := readJSONL(dir, "bipia/benchmark/"+task+"/train.jsonl", func(line []byte) error {
			var r struct {
				Context  json.RawMessage `json:"context"`
				Question string          `json:"question"`
				Error    []string        `json:"error"`
				Code     []string        `json:"code"`
			}
			if err := json.Unmarshal(line, &r); err != nil {
				return err
			}
			var ctx string
			if err := json.Unmarshal(r.Context, &ctx); err != nil {
				var lines []string
				if err := json.Unmarshal(r.Context, &lines); err != nil {
					return fmt.Errorf("context: %w", err)
				}
				ctx = strings.Join(lines, "\n")
			}
			group := fmt.Sprintf("bipia:%s:%d", task, n)
			// The split goes by the key of a cluster's first text, the
			// clean context here: draw the attack from the same side.
			side := 0
			if inValidation(normKey(ctx)) {
				side = 1
			}
			as := pool[kind][side]
			if len(as) == 0 {
				as = attacks[kind]
			}
			attack := pick(as, stableHash(group))
			at := [3]int{0, nearestSpace(ctx, len(ctx)/2), len(ctx)}[n%3]
			attacked := ctx[:at] + " " + attack + " " + ctx[at:]
			clean, dirty := rec(ctx, model.ClassBenign), rec(attacked, model.ClassInjection)
			clean.Group, dirty.Group = group, group
			clean.TrainText = crop(ctx, at, 0)
			dirty.TrainText = crop(attacked, at, len(attack)+2)
			dirty.DocumentOnly = ordinary[attack]
			dirty.Attack = trainingAttack + attackSide(side)
			dirty.Inserted = attack
			clean.Document, dirty.Document = true, true
			out = append(out, clean, dirty)
			if side == 0 {
				out = append(out, moreInsertions(ctx, group, as, insertionsPer[task])...)
			}
			// The user's side of the task is benign too: a question about
			// the table or email, or a traceback with the code behind it.
			ask := strings.TrimSpace(strings.TrimPrefix(r.Question, "Q:"))
			if len(r.Error) > 0 {
				ask = "I get this error:\n" + strings.Join(r.Error, "\n") + "\nfrom this code:\n" + strings.Join(r.Code, "\n")
			}
			if ask != "" {
				q := rec(ask, model.ClassBenign)
				q.Group = group
				out = append(out, q)
			}
			n++
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// insertionsPer is how many more attacked copies of each context the
// document model trains on, by task: BIPIA has 900 tables but only 50
// emails and 50 code answers, and emails are what assistants read most.
var insertionsPer = map[string]int{"email": 16, "table": 2, "code": 12}

// moreInsertions makes n more attacked copies of a context for the
// document model, each with another attack of its side of the split at
// another place, and as many clean windows of it, cut the same way.
func moreInsertions(ctx, group string, attacks []string, n int) []record {
	var out []record
	for i := range n {
		h := stableHash(fmt.Sprintf("%s:more:%d", group, i))
		attack := pick(attacks, h)
		at := nearestSpace(ctx, int(h>>32%uint64(len(ctx)+1)))
		if i%3 == 0 {
			at = [2]int{0, len(ctx)}[i/3%2]
		}
		attacked := ctx[:at] + " " + attack + " " + ctx[at:]
		dirty := rec(crop(attacked, at, len(attack)+2), model.ClassInjection)
		clean := rec(crop(ctx, nearestSpace(ctx, int(h>>16%uint64(len(ctx)+1))), 0), model.ClassBenign)
		for _, r := range []*record{&dirty, &clean} {
			r.Source, r.Group, r.Document, r.DocumentOnly = "generated-bipia-insertions", group, true, true
		}
		dirty.Attack, dirty.Inserted = trainingAttack, attack
		out = append(out, dirty, clean)
	}
	return out
}

// crop returns about model.WindowBytes of s around [at, at+n).
func crop(s string, at, n int) string {
	const half = 256
	lo, hi := max(0, at-half+n/2), min(len(s), at+n+half-n/2)
	if n > 2*half {
		lo, hi = at, at+n
	}
	lo, hi = nearestSpace(s, lo), nearestSpace(s, hi)
	return s[lo:hi]
}

// nearestSpace moves i to a space at or after it (or the end), so cuts fall
// between words and never inside a UTF-8 sequence.
func nearestSpace(s string, i int) int {
	for i < len(s) && s[i] != ' ' && s[i] != '\n' {
		i++
	}
	return i
}
