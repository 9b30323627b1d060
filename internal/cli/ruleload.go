package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bulwarkhq/bulwark/rules"
	"github.com/bulwarkhq/bulwark/sigma"
)

// ruleFlags are the flags every command that loads rules shares.
type ruleFlags struct {
	dirs      []string
	noBuiltin bool
	mapping   string
}

func (f *ruleFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&f.dirs, "rules", "r", nil,
		"Sigma rule file or directory (repeatable); default: the SigmaHQ rules from 'bulwark rules update', if downloaded")
	cmd.Flags().BoolVar(&f.noBuiltin, "no-builtin", false, "leave out Bulwark's built-in rules")
	cmd.Flags().StringVar(&f.mapping, "mapping", "",
		"log source mapping file (SigmaHQ thor.yml layout); default: the built-in Windows, Sysmon, Linux and network mapping")
	_ = cmd.MarkFlagDirname("rules")
	_ = cmd.MarkFlagFilename("mapping", "yml", "yaml")
}

// ruleSource says where rules came from, for the summary.
type ruleSource struct {
	name  string
	count int
}

// load reads and compiles the rules the flags select.
func (f *ruleFlags) load() (*sigma.RuleSet, []ruleSource, error) {
	var docs []sigma.Document
	var sources []ruleSource
	if !f.noBuiltin {
		b := rules.Builtin()
		docs = append(docs, b...)
		sources = append(sources, ruleSource{"built-in", len(b)})
	}
	dirs := f.dirs
	if len(dirs) == 0 {
		if d, err := rules.SigmaHQDir(); err == nil {
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				dirs = []string{d}
			}
		}
	}
	for _, d := range dirs {
		ds, err := rules.LoadDir(d)
		if err != nil {
			return nil, nil, err
		}
		docs = append(docs, ds...)
		sources = append(sources, ruleSource{d, len(ds)})
	}
	if len(docs) == 0 {
		return nil, nil, usagef("no rules: drop --no-builtin, pass --rules DIR, or run 'bulwark rules update'")
	}
	opts := sigma.Options{}
	if f.mapping != "" {
		data, err := os.ReadFile(f.mapping)
		if err != nil {
			return nil, nil, fmt.Errorf("mapping: %w", err)
		}
		m, err := sigma.ParseMapping(filepath.Base(f.mapping), data)
		if err != nil {
			return nil, nil, fmt.Errorf("mapping: %w", err)
		}
		opts.Mapping = m
	}
	return sigma.Compile(docs, opts), sources, nil
}
