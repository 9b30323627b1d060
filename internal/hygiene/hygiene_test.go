package hygiene

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// moduleRoot finds the directory holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// packages returns every directory of the module that holds non-test Go files,
// with the parsed files' imports and whether any file carries a package doc.
type pkgInfo struct {
	dir     string
	hasDoc  bool
	imports map[string]bool
}

func packages(t *testing.T, root string) []pkgInfo {
	t.Helper()
	var out []pkgInfo
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
			return filepath.SkipDir
		}
		fset := token.NewFileSet()
		pkgs, err := parser.ParseDir(fset, path, func(fi os.FileInfo) bool {
			return !strings.HasSuffix(fi.Name(), "_test.go")
		}, parser.ParseComments|parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, p := range pkgs {
			info := pkgInfo{dir: path, imports: map[string]bool{}}
			for _, f := range p.Files {
				if f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
					info.hasDoc = true
				}
				for _, imp := range f.Imports {
					info.imports[strings.Trim(imp.Path.Value, `"`)] = true
				}
			}
			out = append(out, info)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEveryPackageHasDoc(t *testing.T) {
	root := moduleRoot(t)
	for _, p := range packages(t, root) {
		if !p.hasDoc {
			rel, _ := filepath.Rel(root, p.dir)
			t.Errorf("package in %s has no package doc comment", rel)
		}
	}
}

// TestImportBoundaries keeps the engines free of sinks: parsing and matching
// code never reaches for a database or the network.
func TestImportBoundaries(t *testing.T) {
	root := moduleRoot(t)
	banned := map[string][]string{
		"event": {"database/sql", "net/http", "github.com/bulwarkhq/bulwark/sigma", "github.com/bulwarkhq/bulwark/logs"},
		"logs":  {"database/sql", "net/http", "github.com/bulwarkhq/bulwark/sigma"},
		"sigma": {"database/sql", "net/http", "github.com/bulwarkhq/bulwark/logs"},
	}
	for _, p := range packages(t, root) {
		rel, _ := filepath.Rel(root, p.dir)
		rel = filepath.ToSlash(rel)
		for prefix, imports := range banned {
			if rel != prefix && !strings.HasPrefix(rel, prefix+"/") {
				continue
			}
			for _, imp := range imports {
				if p.imports[imp] {
					t.Errorf("%s imports %s", rel, imp)
				}
			}
		}
	}
}

func TestGoVet(t *testing.T) {
	if testing.Short() {
		t.Skip("go vet skipped in -short mode")
	}
	root := moduleRoot(t)
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet ./...: %v\n%s", err, out)
	}
}

func TestGofmt(t *testing.T) {
	root := moduleRoot(t)
	cmd := exec.Command("gofmt", "-l", ".")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Skipf("gofmt not runnable: %v", err)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("files need gofmt:\n%s", s)
	}
}

// TestGoModTidy fails when go.mod or go.sum would change under go mod tidy.
func TestGoModTidy(t *testing.T) {
	if testing.Short() {
		t.Skip("go mod tidy skipped in -short mode")
	}
	root := moduleRoot(t)
	cmd := exec.Command("go", "mod", "tidy", "-diff")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("go mod tidy would change go.mod or go.sum (run it):\n%s", out)
	}
}
