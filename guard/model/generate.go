package model

// Retrain the embedded weights and regenerate the model card from the
// shared guard data (deterministic: the same data and Go release give the
// same bytes; TestWeightsReproducible checks it).
//go:generate go run ../../internal/tools/guardtrain -data ../../../shared/data/guard -out weights.bin -document-out document.bin -card ../../docs/guard-model.md -validation ../../guard-validation.jsonl
