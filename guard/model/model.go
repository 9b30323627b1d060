// Package model is Bulwark's own prompt classifier: a multinomial logistic
// regression over hashed word and character n-grams, and concepts (see
// concepts.go), that scores a text as benign, prompt injection, jailbreak
// or offensive-cyber misuse.
//
// It is small (a few megabytes of weights embedded in the binary), needs no
// model download or GPU, and scores a 4 KB prompt in a few hundred
// microseconds.
// Long texts are also scored in overlapping windows, so one injected
// sentence inside a long retrieved document is not diluted by the rest.
// The weights are trained from the shared guard data by
// internal/tools/guardtrain (see docs/guard-model.md for the model card).
package model

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/guard"
)

// Classes of the classifier, in weight order.
const (
	ClassBenign = iota
	ClassInjection
	ClassJailbreak
	ClassMisuse
	NumClasses
)

// ClassNames names the classes in weight order; they double as the labels
// of evaluation files.
var ClassNames = [NumClasses]string{"benign", "injection", "jailbreak", "misuse"}

// classCategory maps scored classes to guard categories.
var classCategory = [NumClasses]guard.Category{"", guard.Injection, guard.Jailbreak, guard.Misuse}

// Window sizes for long texts, in bytes. A window about the length of a
// paragraph keeps an inserted instruction a large share of its features.
const (
	windowBytes = 512
	windowStep  = 256
)

// Model holds the weights. It is safe for concurrent use.
type Model struct {
	buckets uint32
	// weights are int8, buckets x NumClasses with a row per bucket, and a
	// scale per class: a quarter of the memory of float32 and integer
	// sums, which is what keeps scoring in the cache.
	weights []int8
	scale   [NumClasses]float32
	bias    [NumClasses]float32
	pool    sync.Pool // *scratch, reused across calls
	// cue: the model was trained with the no-cue feature (see cue.go).
	cue bool
}

// Scores are the classifier's probabilities for the three harmful classes.
type Scores struct {
	Injection float64 `json:"injection"`
	Jailbreak float64 `json:"jailbreak"`
	Misuse    float64 `json:"misuse"`
}

// Max returns the largest of the scores.
func (s Scores) Max() float64 { return max(s.Injection, s.Jailbreak, s.Misuse) }

// Of returns the score of a class.
func (s Scores) Of(class int) float64 {
	switch class {
	case ClassInjection:
		return s.Injection
	case ClassJailbreak:
		return s.Jailbreak
	case ClassMisuse:
		return s.Misuse
	}
	return 1 - s.Max()
}

func newModel(buckets uint32) *Model {
	m := &Model{buckets: buckets, weights: make([]int8, int(buckets)*NumClasses)}
	m.pool.New = func() any { return &scratch{fs: make([]feature, 0, 1024)} }
	return m
}

// minWords is how many words a text needs for the classifier's full say.
const minWords = 4

// sliceBytes bounds the text featurised at once: longer texts are scored
// slice by slice (each with its windows), which keeps memory flat for a
// document of any size.
const sliceBytes = 64 << 10

// scratch is the per-call working memory, pooled.
type scratch struct {
	fs    []feature
	words []uint64
	// prev[k] is the k of the previous instance of fs[k]'s feature, -1
	// for none: scoreFeatures fills it, and the document model reads its
	// units' distinct features from it (see scoreDocumentShared).
	prev   []int32
	whole  presence
	window presence
}

// Score classifies text. For texts longer than a window it returns, per
// class, the highest probability over the whole text and each window.
func (m *Model) Score(text string) Scores { return m.scoreNormalized(Normalize(text)) }

// scoreNormalized is Score of a text Normalize has already been applied to.
func (m *Model) scoreNormalized(text string) Scores {
	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	var s Scores
	phrase := ClassBenign
	for start := 0; start < len(text); {
		end := min(len(text), start+sliceBytes)
		if end < len(text) {
			end = nearestBoundary(text, end)
		}
		sc.fs, sc.words = featurize(sc.fs[:0], sc.words[:0], text[start:end], m.buckets)
		s = s.maxWith(m.scoreFeatures(sc, end-start))
		if phrase == ClassBenign {
			phrase = phraseMatch(text[start:end], sc.words)
		}
		start = end
	}
	if len(text) == 0 {
		s = m.probs([NumClasses]int32{}, 0)
	}
	return withPhrase(s, phrase)
}

// scoreSlice is scoreNormalized of a text of at most sliceBytes, scored
// with sc, whose features it leaves in sc.fs for the document model.
func (m *Model) scoreSlice(sc *scratch, text string) Scores {
	sc.fs, sc.words = featurize(sc.fs[:0], sc.words[:0], text, m.buckets)
	return withPhrase(m.scoreFeatures(sc, len(text)), phraseMatch(text, sc.words))
}

// withPhrase raises the score of the class a phrase rule matched.
func withPhrase(s Scores, phrase int) Scores {
	switch phrase {
	case ClassInjection:
		s.Injection = max(s.Injection, phraseScore)
	case ClassJailbreak:
		s.Jailbreak = max(s.Jailbreak, phraseScore)
	}
	return s
}

// nearestBoundary moves i forward to the next space, or back to a rune
// start when the text has no space soon.
func nearestBoundary(text string, i int) int {
	for j := i; j < len(text) && j < i+256; j++ {
		if text[j] == ' ' || text[j] == '\n' {
			return j
		}
	}
	for i > 0 && !utf8.RuneStart(text[i]) {
		i--
	}
	return i
}

func (s Scores) maxWith(o Scores) Scores {
	return Scores{Injection: max(s.Injection, o.Injection), Jailbreak: max(s.Jailbreak, o.Jailbreak), Misuse: max(s.Misuse, o.Misuse)}
}

// The input vector is binary (is the feature present?) and scaled to unit
// length, as in training: repeating a paragraph must not change its score.
func (m *Model) scoreFeatures(sc *scratch, textLen int) Scores {
	fs := sc.fs
	sc.whole.reset(len(fs))
	sc.prev = sc.prev[:0]
	var whole [NumClasses]int32
	for k, f := range fs {
		n, prev := sc.whole.addAt(f.index, int32(k))
		sc.prev = append(sc.prev, prev)
		if n == 1 {
			m.addRow(&whole, f.index, 1)
		}
	}
	// The no-cue feature belongs to the whole text, so every window has it.
	noCue := m.cue && !hasCue(sc.words)
	var noCueIx uint32
	if noCue {
		noCueIx = noCueIndex(len(sc.words), m.buckets)
		if sc.whole.add(noCueIx) == 1 {
			m.addRow(&whole, noCueIx, 1)
		}
	}
	best := m.wholeProbs(whole, sc.whole.distinct, len(sc.words))
	if textLen <= windowBytes+windowStep/2 {
		return best
	}
	// Windows: features are in position order, so each window is a
	// contiguous run; slide it with two cursors, counting each feature's
	// occurrences in the window so a feature counts once while present.
	sc.window.reset(4 * windowBytes)
	var sum [NumClasses]int32
	if noCue {
		sc.window.add(noCueIx)
		m.addRow(&sum, noCueIx, 1)
	}
	lo, hi := 0, 0
	for start := 0; start < textLen; start += windowStep {
		end := start + windowBytes
		for ; hi < len(fs) && int(fs[hi].pos) < end; hi++ {
			if sc.window.add(fs[hi].index) == 1 {
				m.addRow(&sum, fs[hi].index, 1)
			}
		}
		for ; lo < hi && int(fs[lo].pos) < start; lo++ {
			if sc.window.remove(fs[lo].index) == 0 {
				m.addRow(&sum, fs[lo].index, -1)
			}
		}
		if hi > lo {
			best = best.maxWith(m.probs(sum, sc.window.distinct))
		}
		if end >= textLen {
			break
		}
	}
	return best
}

// wholeProbs is probs for a whole text of the given number of words.
func (m *Model) wholeProbs(sum [NumClasses]int32, distinct, words int) Scores {
	// A text of one to three words gives the model little to go on, and
	// field values ("user bob", a host name) are often that short: its
	// evidence is scaled down in proportion, so the prior (benign) keeps
	// its weight. Phrase rules still apply in full.
	if words < minWords {
		for c := range sum {
			sum[c] = sum[c] * int32(words) / minWords
		}
	}
	return m.probs(sum, distinct)
}

func (m *Model) addRow(sum *[NumClasses]int32, index uint32, sign int32) {
	row := m.weights[int(index)*NumClasses : int(index)*NumClasses+NumClasses]
	for c := range NumClasses {
		sum[c] += sign * int32(row[c])
	}
}

// probs turns the summed weights of n distinct features into
// probabilities: the input vector has 1/sqrt(n) for each present feature.
func (m *Model) probs(sum [NumClasses]int32, n int) Scores {
	var p [NumClasses]float64
	norm := 1.0
	if n > 0 {
		norm = 1 / math.Sqrt(float64(n))
	}
	top := math.Inf(-1)
	for c := range NumClasses {
		p[c] = float64(sum[c])*float64(m.scale[c])*norm + float64(m.bias[c])
		top = max(top, p[c])
	}
	softmaxFrom(&p, top)
	return Scores{Injection: p[ClassInjection], Jailbreak: p[ClassJailbreak], Misuse: p[ClassMisuse]}
}

// softmaxFrom turns logits into probabilities in place; top is their
// maximum, subtracted for numerical safety.
func softmaxFrom(p *[NumClasses]float64, top float64) {
	var z float64
	for c := range NumClasses {
		p[c] = math.Exp(p[c] - top)
		z += p[c]
	}
	for c := range NumClasses {
		p[c] /= z
	}
}

// The weights file: magic, bucket count, flags (BWGUARD2 only; bit 0: the
// no-cue feature), per-class bias and quantisation scale, then int8
// weights row by row. Quantising to int8 costs no measurable accuracy and
// keeps the binary a quarter of the size. Files without flags (BWGUARD1)
// still read.
var (
	magic   = []byte("BWGUARD2")
	magicV1 = []byte("BWGUARD1")
)

const flagCue uint32 = 1

// WriteTo writes the model in its file format.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	buf.Write(magic)
	binary.Write(&buf, binary.LittleEndian, m.buckets)
	var flags uint32
	if m.cue {
		flags |= flagCue
	}
	binary.Write(&buf, binary.LittleEndian, flags)
	binary.Write(&buf, binary.LittleEndian, m.bias)
	binary.Write(&buf, binary.LittleEndian, m.scale)
	for _, v := range m.weights {
		buf.WriteByte(byte(v))
	}
	n, err := w.Write(buf.Bytes())
	return int64(n), err
}

// quantize sets the int8 weights and per-class scales from float weights.
func (m *Model) quantize(w []float64) {
	var top [NumClasses]float64
	for i, v := range w {
		top[i%NumClasses] = max(top[i%NumClasses], math.Abs(v))
	}
	for c := range NumClasses {
		m.scale[c] = float32(top[c] / 127)
	}
	for i, v := range w {
		if s := float64(m.scale[i%NumClasses]); s > 0 {
			m.weights[i] = int8(max(-127, min(127, math.Round(v/s))))
		}
	}
}

// Read reads a model written by WriteTo.
func Read(data []byte) (*Model, error) {
	v1 := bytes.HasPrefix(data, magicV1)
	if !v1 && !bytes.HasPrefix(data, magic) {
		return nil, errors.New("guard model: not a weights file")
	}
	r := bytes.NewReader(data[len(magic):])
	var buckets, flags uint32
	if err := binary.Read(r, binary.LittleEndian, &buckets); err != nil {
		return nil, fmt.Errorf("guard model: header: %w", err)
	}
	if !v1 {
		if err := binary.Read(r, binary.LittleEndian, &flags); err != nil {
			return nil, fmt.Errorf("guard model: header: %w", err)
		}
		if flags&^flagCue != 0 {
			return nil, fmt.Errorf("guard model: unknown flags %#x", flags)
		}
	}
	if buckets == 0 || buckets&(buckets-1) != 0 || buckets > 1<<24 {
		return nil, fmt.Errorf("guard model: bucket count %d is not a power of two up to 2^24", buckets)
	}
	m := newModel(buckets)
	m.cue = flags&flagCue != 0
	if err := binary.Read(r, binary.LittleEndian, &m.bias); err != nil {
		return nil, fmt.Errorf("guard model: header: %w", err)
	}
	if err := binary.Read(r, binary.LittleEndian, &m.scale); err != nil {
		return nil, fmt.Errorf("guard model: header: %w", err)
	}
	if r.Len() != len(m.weights) {
		return nil, fmt.Errorf("guard model: %d weight bytes, want %d", r.Len(), len(m.weights))
	}
	for i, b := range data[len(data)-len(m.weights):] {
		m.weights[i] = int8(b)
	}
	return m, nil
}

//go:embed weights.bin
var embedded []byte

var (
	defaultOnce  sync.Once
	defaultModel *Model
	defaultErr   error
)

// Default returns the model embedded in the binary.
func Default() (*Model, error) {
	defaultOnce.Do(func() { defaultModel, defaultErr = Read(embedded) })
	return defaultModel, defaultErr
}
