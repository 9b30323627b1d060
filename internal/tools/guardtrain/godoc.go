package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/bulwarkhq/bulwark/guard/model"
)

// goDocShare is the share of the standard library's doc paragraphs both
// models train on, goDocDocumentShare the further share only the document
// model does: it must learn that ordinary technical prose, examples and
// imperatives included ("Call Close when done"), is not an instruction to
// it, and the general model has enough of it.
const (
	goDocShare         = 0.05
	goDocDocumentShare = 0.15
)

// loadGoDocComments samples paragraphs of the Go standard library's doc
// comments: plain technical English, written to instruct a reader ("Callers
// should ignore ...", "the instructions are..."), and BSD licensed. They
// teach the model that ordinary imperative prose is not an attack. The
// sample depends on the Go release that runs the trainer; the model card
// names it.
func loadGoDocComments(string) ([]record, error) {
	root := filepath.Join(runtime.GOROOT(), "src")
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "testdata", "vendor", "cmd":
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []record
	fset := token.NewFileSet()
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, cg := range f.Comments {
			for _, para := range strings.Split(cg.Text(), "\n\n") {
				para = strings.TrimSpace(para)
				if len(para) < 60 || len(para) > 800 || strings.Contains(para, "Copyright") || strings.HasPrefix(para, "\t") {
					continue
				}
				share := float64(stableHash("godoc:"+para)%10000) / 10000
				if share >= goDocShare+goDocDocumentShare {
					continue
				}
				r := rec(para, model.ClassBenign)
				if share >= goDocShare {
					// Training only: the validation side of the split
					// keeps the general sample's size.
					if inValidation(normKey(para)) {
						continue
					}
					r.DocumentOnly = true
				}
				out = append(out, r)
			}
		}
	}
	return out, nil
}
