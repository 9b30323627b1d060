package main

// The sample logs in testdata/sample are generated; see internal/tools/gensample.
//go:generate go run ../../internal/tools/gensample -out ../../testdata/sample
