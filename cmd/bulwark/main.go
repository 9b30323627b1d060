// Command bulwark is open-source, AI-assisted cyber defense in one binary.
// All behaviour lives in internal/cli; main only hands over the arguments.
package main

import (
	"os"

	"github.com/bulwarkhq/bulwark/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
