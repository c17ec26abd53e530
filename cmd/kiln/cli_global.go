package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kilnhq/kiln/internal/cli"
)

// The client commands (format, os, user, template, image, and scan's list,
// build, delete and run) take hammr's global flags. They are declared on each
// command group, not on the root, so that serve, worker and the scan agent
// keep their own flags (the agent's -a is a public key, hammr's a URL).

const clientFlagsHelp = `Connection: -a/--url, -u/--user, then -p/--password or -k/--publickey with
-s/--secretkey. Flags win over KILN_URL, KILN_USER, KILN_PASSWORD, KILN_PUBLICKEY
and KILN_SECRETKEY, which win over a credentials file: -c FILE, else
~/.config/kiln/credentials.yml, else hammr's ~/.hammr/credentials.yml or
credentials.json ({"user", "password" | "publickey"+"secretkey", "url",
"acceptAutoSigned"}). An https server with a private CA: --ca-cert FILE or
KILN_CA_CERT. Errors exit with status 2.`

// addClientFlags declares hammr's global flags on fs.
func addClientFlags(fs *pflag.FlagSet, f *cli.Flags) {
	fs.StringVarP(&f.URL, "url", "a", "", "API base URL, e.g. http://host:8080/api (KILN_URL)")
	fs.StringVarP(&f.User, "user", "u", "", "login (KILN_USER)")
	fs.StringVarP(&f.Password, "password", "p", "", "password (KILN_PASSWORD)")
	fs.StringVarP(&f.PublicKey, "publickey", "k", "", "API public key, with -s (KILN_PUBLICKEY)")
	fs.StringVarP(&f.SecretKey, "secretkey", "s", "", "API secret key, with -k (KILN_SECRETKEY)")
	fs.StringVarP(&f.Credentials, "credentials", "c", "", "credentials file (JSON or YAML, hammr's format)")
	fs.StringVar(&f.Output, "output", "table", "output format: table or json")
	fs.StringVar(&f.CACert, "ca-cert", "", "PEM file of the CA that signed an https server's certificate, trusted besides the system's (KILN_CA_CERT)")
}

// clientGroup is a command group whose subcommands all take the client flags.
func clientGroup(use, short string, f *cli.Flags, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Long: short + ".\n\n" + clientFlagsHelp, Args: cobra.NoArgs}
	addClientFlags(cmd.PersistentFlags(), f)
	cmd.AddCommand(subs...)
	return cmd
}

// clientEnv resolves the settings and builds the command's environment.
func clientEnv(cmd *cobra.Command, f *cli.Flags) (*cli.Env, error) {
	if f.Output != "table" && f.Output != "json" {
		return nil, fmt.Errorf("--output %q: want table or json", f.Output)
	}
	home, _ := os.UserHomeDir()
	s, warns, err := cli.Resolve(*f, os.Getenv, home)
	for _, w := range warns {
		fmt.Fprintln(cmd.ErrOrStderr(), "Warning:", w)
	}
	if err != nil {
		return nil, err
	}
	c := cli.NewClient(s, "kiln/"+version)
	e := cli.NewEnv(c, s.User, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f.Output == "json")
	e.PollInterval = pollInterval
	e.CACert = s.CACert
	return e, nil
}

// pollInterval is the delay between status reads; 0 is hammr's 2 s (tests
// make it shorter).
var pollInterval time.Duration

// notifyInterrupts delivers Ctrl-C and SIGTERM to a command that follows a
// generation; tests replace it.
var notifyInterrupts = func() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	return ch, func() { signal.Stop(ch) }
}

// followEnv is clientEnv for commands that follow generations: Ctrl-C goes to
// the cancel question rather than stopping the requests, so the context they
// run in is not the one main cancels on the first signal.
func followEnv(cmd *cobra.Command, f *cli.Flags) (*cli.Env, context.Context, func(), error) {
	e, err := clientEnv(cmd, f)
	if err != nil {
		return nil, nil, nil, err
	}
	ch, stop := notifyInterrupts()
	e.Interrupts = ch
	return e, context.WithoutCancel(cmd.Context()), stop, nil
}

// clientRun adapts a cli function to cobra.
func clientRun(f *cli.Flags, run func(ctx context.Context, e *cli.Env) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		e, err := clientEnv(cmd, f)
		if err != nil {
			return err
		}
		return run(cmd.Context(), e)
	}
}

// followRun is clientRun for commands that follow generations.
func followRun(f *cli.Flags, run func(ctx context.Context, e *cli.Env) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		e, ctx, stop, err := followEnv(cmd, f)
		if err != nil {
			return err
		}
		defer stop()
		return run(ctx, e)
	}
}
