package main

import (
	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/internal/cli"
)

// newUserCmd is `kiln user info`, as hammr's.
func newUserCmd() *cobra.Command {
	var f cli.Flags
	info := &cobra.Command{
		Use:   "info",
		Short: "Show the user the credentials log in as",
		Args:  cobra.NoArgs,
		RunE:  clientRun(&f, cli.UserInfo),
	}
	return clientGroup("user", "The logged-in user", &f, info)
}
