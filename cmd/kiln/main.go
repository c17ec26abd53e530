// Command kiln is Kiln's single binary: the API server (serve), workers (worker),
// the local image builder (build), the scan agent (scan) and the client commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "kiln:", err)
		os.Exit(2)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "kiln",
		Short:         "Kiln builds bootable machine images from appliance templates and scans",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// One file per subcommand next to this one.
	root.AddCommand(
		newVersionCmd(),
		newServeCmd(),
		newBuildCmd(),
		newWorkerCmd(),
		newScanCmd(),
	)
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Kiln's version",
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), version) },
	}
}
