// Command kiln is Kiln's single binary: the API server (serve), workers (worker),
// the local image builder (build), the scan agent (scan) and the client commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	root.SetArgs(agentArgs(os.Args[0], os.Args[1:]))
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "kiln:", err)
		os.Exit(2)
	}
}

// agentNames are the names the server distributes this binary under
// (/resources/uforge-scan.bin, /resources/kiln-scan). Called by one of them,
// the binary is the scan agent, as hammr runs it: `uforge-scan.bin -u … -P`.
var agentNames = map[string]bool{"uforge-scan.bin": true, "kiln-scan": true}

// agentArgs makes an invocation under an agent name mean `kiln scan …`.
func agentArgs(argv0 string, args []string) []string {
	if agentNames[filepath.Base(argv0)] {
		return append([]string{"scan"}, args...)
	}
	return args
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
		withScanClientCmds(newScanCmd()), // the agent, and hammr's scan commands under it
		// Client commands, as hammr's (cli_*.go).
		newFormatCmd(),
		newOSCmd(),
		newUserCmd(),
		newTemplateCmd(),
		newImageCmd(),
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
