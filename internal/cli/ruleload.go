package cli

import (
	"errors"

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

// load reads and compiles the rules the flags select.
func (f *ruleFlags) load() (*sigma.RuleSet, []rules.Source, error) {
	rs, sources, err := f.selection().Load()
	if errors.Is(err, rules.ErrNoRules) {
		return nil, nil, usagef("%v", err)
	}
	return rs, sources, err
}

// selection turns the flags into a rules.Selection.
func (f *ruleFlags) selection() rules.Selection {
	return rules.Selection{Dirs: f.dirs, NoBuiltin: f.noBuiltin, Mapping: f.mapping}
}
