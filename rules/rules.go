// Package rules provides Bulwark's own built-in Sigma rules (embedded in
// the binary, so detection works with no download), locates the rules a
// user downloaded with `bulwark rules update`, and performs that download.
package rules

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/bulwarkhq/bulwark/sigma"
)

//go:embed builtin
var builtinFS embed.FS

// BuiltinFS returns the embedded built-in rules.
func BuiltinFS() fs.FS {
	sub, err := fs.Sub(builtinFS, "builtin")
	if err != nil {
		panic(err)
	}
	return sub
}

// Builtin parses the built-in rules. Their paths start with "builtin/".
func Builtin() []sigma.Document {
	docs, err := sigma.ParseFS(builtinFS, "builtin")
	if err != nil {
		panic("rules: embedded rules unreadable: " + err.Error())
	}
	return docs
}

// DataDir is where Bulwark keeps downloaded data for the current user:
// $BULWARK_DATA_DIR, else $XDG_DATA_HOME/bulwark, else
// ~/.local/share/bulwark (the platform's user data directory elsewhere).
func DataDir() (string, error) {
	if d := os.Getenv("BULWARK_DATA_DIR"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "bulwark"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a data directory: set BULWARK_DATA_DIR: %w", err)
	}
	return filepath.Join(home, ".local", "share", "bulwark"), nil
}

// SigmaHQDir is where `bulwark rules update` puts the SigmaHQ rules.
func SigmaHQDir() (string, error) {
	d, err := DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "rules", "sigmahq"), nil
}

// LoadDir parses every rule file under dir.
func LoadDir(dir string) ([]sigma.Document, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	if !st.IsDir() {
		data, err := os.ReadFile(dir)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		return sigma.Parse(dir, data), nil
	}
	docs, err := sigma.ParseFS(os.DirFS(dir), ".")
	if err != nil {
		return nil, fmt.Errorf("rules: %s: %w", dir, err)
	}
	// Report paths as the user would find them.
	for i := range docs {
		prefix := func(p string) string { return filepath.Join(dir, filepath.FromSlash(p)) }
		d := &docs[i]
		switch {
		case d.Rule != nil:
			d.Rule.Path = prefix(d.Rule.Path)
		case d.Correlation != nil:
			d.Correlation.Path = prefix(d.Correlation.Path)
		case d.Filter != nil:
			d.Filter.Path = prefix(d.Filter.Path)
		}
		if d.Err != nil {
			d.Err.Path = prefix(d.Err.Path)
		}
	}
	return docs, nil
}
