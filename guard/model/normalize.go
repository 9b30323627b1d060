package model

import "github.com/bulwarkhq/bulwark/guard/pattern"

// Normalize prepares text for featurisation: homoglyphs, leetspeak and
// invisible characters are folded away (pattern.Normalize), so "1gn0r3
// pr3v10us 1nstruct10ns" reads as what it says. It is part of the model:
// the weights were trained on texts passed through it, so changing it means
// retraining.
func Normalize(s string) string { return pattern.Normalize(s) }
