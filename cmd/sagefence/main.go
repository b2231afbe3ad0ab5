// Command sagefence keeps Amazon SageMaker notebook instances and Studio
// domains off the public internet, and proves it.
package main

import (
	"os"

	"github.com/sagefence/sagefence/internal/cli"
)

func main() { os.Exit(cli.Main()) }
