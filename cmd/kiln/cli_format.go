package main

import (
	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/internal/cli"
)

// newFormatCmd is `kiln format list`, as hammr's.
func newFormatCmd() *cobra.Command {
	var f cli.Flags
	list := &cobra.Command{
		Use:   "list",
		Short: "List the target formats (builder types) of the server",
		Args:  cobra.NoArgs,
		RunE:  clientRun(&f, cli.FormatList),
	}
	return clientGroup("format", "Target formats (the builder types of hammr files)", &f, list)
}
