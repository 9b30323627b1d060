package model

import "sort"

// Scored is one evaluated text: its score for the positive class and
// whether it is positive.
type Scored struct {
	Score    float64
	Positive bool
}

// BalancedAccuracy is the mean of the true positive and true negative rates
// at threshold (a text is flagged when its score is at least threshold):
// the measure of Lakera's PINT benchmark, fair when classes are unbalanced.
func BalancedAccuracy(xs []Scored, threshold float64) float64 {
	var tp, fn, tn, fp float64
	for _, x := range xs {
		switch flagged := x.Score >= threshold; {
		case x.Positive && flagged:
			tp++
		case x.Positive:
			fn++
		case flagged:
			fp++
		default:
			tn++
		}
	}
	var tpr, tnr float64
	n := 0.0
	if tp+fn > 0 {
		tpr = tp / (tp + fn)
		n++
	}
	if tn+fp > 0 {
		tnr = tn / (tn + fp)
		n++
	}
	if n == 0 {
		return 0
	}
	return (tpr + tnr) / n
}

// RecallAtFPR returns the share of positives flagged at the lowest
// threshold whose false-positive rate on the negatives is at most fpr, and
// that threshold.
func RecallAtFPR(xs []Scored, fpr float64) (recall, threshold float64) {
	var neg, pos []float64
	for _, x := range xs {
		if x.Positive {
			pos = append(pos, x.Score)
		} else {
			neg = append(neg, x.Score)
		}
	}
	if len(pos) == 0 {
		return 0, 1
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(neg)))
	// Allow k negatives above the threshold; the threshold sits just
	// above the (k+1)th highest negative score.
	k := int(fpr * float64(len(neg)))
	threshold = 0
	if k < len(neg) {
		threshold = nextAbove(neg[k])
	}
	flagged := 0
	for _, s := range pos {
		if s >= threshold {
			flagged++
		}
	}
	return float64(flagged) / float64(len(pos)), threshold
}

func nextAbove(x float64) float64 {
	if x >= 1 {
		return 1
	}
	return x + 1e-12
}
