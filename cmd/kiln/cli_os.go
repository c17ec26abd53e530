package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/internal/cli"
)

// newOSCmd is `kiln os list` and `kiln os search`, as hammr's.
func newOSCmd() *cobra.Command {
	var f cli.Flags
	list := &cobra.Command{
		Use:   "list",
		Short: "List the distributions and their OS profiles",
		Args:  cobra.NoArgs,
		RunE:  clientRun(&f, cli.OSList),
	}
	var id int64
	var pkg string
	search := &cobra.Command{
		Use:   "search --id DISTRIBUTION --pkg PATTERN",
		Short: "Search the packages of a distribution by name ('*' matches anything)",
		Args:  cobra.NoArgs,
		RunE: clientRun(&f, func(ctx context.Context, e *cli.Env) error {
			return cli.OSSearch(ctx, e, id, pkg)
		}),
	}
	search.Flags().Int64Var(&id, "id", 0, "distribution id (see os list)")
	search.Flags().StringVar(&pkg, "pkg", "", "package name or pattern, e.g. 'openssh*'")
	_ = search.MarkFlagRequired("id")
	_ = search.MarkFlagRequired("pkg")
	return clientGroup("os", "Distributions, OS profiles and packages", &f, list, search)
}
