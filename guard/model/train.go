package model

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Example is one labelled training text.
type Example struct {
	Text  string
	Class int // ClassBenign .. ClassMisuse
	// Weight scales the example's loss; zero means 1. The trainer gives
	// members of a large near-duplicate family less each, so a template
	// copied a hundred times does not teach its boilerplate as a signal.
	Weight float64
}

// TrainConfig sets the training run. Zero values take the defaults.
type TrainConfig struct {
	Buckets uint32  // hash buckets, a power of two (default 2^18)
	Epochs  int     // passes over the data (default 20)
	Rate    float64 // AdaGrad learning rate (default 0.5)
	L2      float64 // weight decay per update of a touched weight (default 5e-6)
	Seed    uint64  // shuffling seed (default 1)
	Runs    int     // training runs, seeds Seed, Seed+1, ..., whose weights are averaged (default 4)
	// ClassWeight multiplies each class's loss; nil weighs classes so each
	// contributes equally whatever its count.
	ClassWeight []float64
	// Cue adds the no-cue feature (cue.go), learned for misuse only.
	Cue bool
}

func (c *TrainConfig) defaults() {
	if c.Buckets == 0 {
		c.Buckets = 1 << 18
	}
	if c.Epochs == 0 {
		c.Epochs = 20
	}
	if c.Rate == 0 {
		c.Rate = 0.5
	}
	if c.L2 == 0 {
		c.L2 = 5e-6
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Runs == 0 {
		c.Runs = 4
	}
}

// DefaultTrainConfig returns the settings the shipped weights are trained
// with.
func DefaultTrainConfig() TrainConfig {
	var c TrainConfig
	c.defaults()
	return c
}

// Train fits a model to the examples: multinomial logistic regression by
// AdaGrad over the same features Score uses. It is deterministic for a
// given input order and seed.
func Train(examples []Example, cfg TrainConfig) *Model {
	cfg.defaults()
	m := newModel(cfg.Buckets)
	rows := make([]trainRow, 0, len(examples))
	counts := make([]float64, NumClasses)
	var buf []feature
	var words []uint64
	for _, ex := range examples {
		buf, words = featurize(buf[:0], words[:0], Normalize(ex.Text), cfg.Buckets)
		if len(buf) == 0 {
			continue
		}
		// Binary features, as Score uses them: each counts once.
		idx := make([]uint32, 0, len(buf))
		seen := make(map[uint32]bool, len(buf))
		for _, f := range buf {
			if !seen[f.index] {
				seen[f.index] = true
				idx = append(idx, f.index)
			}
		}
		if cfg.Cue && !hasCue(words) {
			if i := noCueIndex(len(words), cfg.Buckets); !seen[i] {
				seen[i] = true
				idx = append(idx, i)
			}
		}
		w := ex.Weight
		if w == 0 {
			w = 1
		}
		rows = append(rows, trainRow{idx, 1 / math.Sqrt(float64(len(idx))), ex.Class, w})
		counts[ex.Class] += w
	}
	total := 0.0
	for _, n := range counts {
		total += n
	}
	weight := cfg.ClassWeight
	if weight == nil {
		weight = make([]float64, NumClasses)
		for c, n := range counts {
			if n > 0 {
				weight[c] = total / (float64(NumClasses) * n)
			}
		}
	}
	// Runs differ only in the order examples are visited; averaging
	// their weights removes most of what one order's luck adds.
	w := make([]float64, len(m.weights))
	var bias [NumClasses]float64
	for run := range cfg.Runs {
		rw, rb := fit(rows, weight, cfg, cfg.Seed+uint64(run), len(m.weights))
		for i, v := range rw {
			w[i] += v / float64(cfg.Runs)
		}
		for c := range NumClasses {
			bias[c] += rb[c] / float64(cfg.Runs)
		}
	}
	m.quantize(w)
	m.cue = cfg.Cue
	for c := range NumClasses {
		m.bias[c] = float32(bias[c])
	}
	return m
}

// trainRow is one example as the trainer sees it: its distinct feature
// buckets, the scale that makes its length not matter, its class and
// its weight.
type trainRow struct {
	idx    []uint32
	scale  float64
	class  int
	weight float64
}

// fit runs AdaGrad over the rows in an order shuffled by seed and returns
// the float weights and biases.
func fit(rows []trainRow, weight []float64, cfg TrainConfig, seed uint64, size int) ([]float64, [NumClasses]float64) {
	w := make([]float64, size)
	g2 := make([]float64, size)
	var bias, biasG2 [NumClasses]float64
	noCueIx := noCueIndices(cfg.Buckets)
	rng := rand.New(rand.NewPCG(seed, 0))
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	for range cfg.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, k := range order {
			r := rows[k]
			var logit [NumClasses]float64
			for _, ix := range r.idx {
				base := int(ix) * NumClasses
				for c := range NumClasses {
					logit[c] += w[base+c]
				}
			}
			top := math.Inf(-1)
			for c := range NumClasses {
				logit[c] = logit[c]*r.scale + bias[c]
				top = max(top, logit[c])
			}
			var z float64
			for c := range NumClasses {
				logit[c] = math.Exp(logit[c] - top)
				z += logit[c]
			}
			var grad [NumClasses]float64
			for c := range NumClasses {
				p := logit[c] / z
				y := 0.0
				if c == r.class {
					y = 1
				}
				grad[c] = (p - y) * weight[r.class] * r.weight
				biasG2[c] += grad[c] * grad[c]
				bias[c] -= cfg.Rate * grad[c] / (math.Sqrt(biasG2[c]) + 1e-8)
			}
			for _, ix := range r.idx {
				base := int(ix) * NumClasses
				noCue := cfg.Cue && slices.Contains(noCueIx[:], ix)
				for c := range NumClasses {
					if noCue && c != ClassMisuse {
						// The no-cue buckets speak to misuse only; a word
						// feature hashed into one shares the rule, which is
						// why the bucket is checked, not the row.
						continue
					}
					gi := grad[c]*r.scale + cfg.L2*w[base+c]
					g2[base+c] += gi * gi
					w[base+c] -= cfg.Rate * gi / (math.Sqrt(g2[base+c]) + 1e-8)
				}
			}
		}
	}
	return w, bias
}
