package main

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/internal/cli"
)

// withScanClientCmds adds hammr's scan commands (list, build, delete, run)
// under `kiln scan`, which itself stays the agent with uforge-scan's flags.
// The client flags are declared on each subcommand: the agent's -a (public
// key) and hammr's -a (URL) cannot share a parent.
func withScanClientCmds(scan *cobra.Command) *cobra.Command {
	sub := func(c *cobra.Command, f *cli.Flags) *cobra.Command {
		addClientFlags(c.Flags(), f)
		c.Args = cobra.NoArgs
		c.Long = c.Short + ".\n\n" + clientFlagsHelp
		return c
	}

	var lf cli.Flags
	list := sub(&cobra.Command{
		Use:   "list",
		Short: "List the scanned instances and their scans",
		RunE:  clientRun(&lf, cli.ScanList),
	}, &lf)

	var bf cli.Flags
	var sid int64
	var file string
	build := sub(&cobra.Command{
		Use:   "build --id SCAN --file BUILDERS",
		Short: "Generate one image per builder from a scan, with progress bars (each builder needs installation.diskSize and hardwareSettings.memory)",
	}, &bf)
	build.RunE = followRun(&bf, func(ctx context.Context, e *cli.Env) error { return cli.ScanBuild(ctx, e, sid, file) })
	build.Flags().Int64Var(&sid, "id", 0, "scan id (see scan list)")
	build.Flags().StringVar(&file, "file", "", "builder or template file (.json, .yml, .yaml, or an http(s) URL)")
	_ = build.MarkFlagRequired("id")
	_ = build.MarkFlagRequired("file")

	var df cli.Flags
	var did int64
	var scanType string
	var scansOnly, noPrompt bool
	del := sub(&cobra.Command{
		Use:   "delete --id ID [--scantype scan|instance|all] [--scansonly]",
		Short: "Delete a scan, a scanned instance (or only its scans), or all of them",
	}, &df)
	del.RunE = clientRun(&df, func(ctx context.Context, e *cli.Env) error {
		if scanType != "all" && did == 0 {
			return errors.New("--id is required (except with --scantype all)")
		}
		return cli.ScanDelete(ctx, e, did, scanType, scansOnly, noPrompt)
	})
	del.Flags().Int64Var(&did, "id", 0, "scan id, or scanned instance id with --scantype instance")
	del.Flags().StringVar(&scanType, "scantype", "scan", "scan, instance or all")
	del.Flags().BoolVar(&scansOnly, "scansonly", false, "with --scantype instance: delete the scans, keep the instance")
	del.Flags().BoolVar(&noPrompt, "no-prompt", false, "do not ask for confirmation")
	del.Flags().BoolVar(&noPrompt, "no-confirm", false, "same as --no-prompt")
	_ = del.Flags().MarkHidden("no-confirm")

	var rf cli.Flags
	var ro cli.ScanRunOptions
	var so cli.SSHScanOptions
	run := sub(&cobra.Command{
		Use:   "run --name NAME [--overlay] [--exclude PATH]… [--root DIR | --ip HOST --scan-login USER (--scan-password P | --identity-file KEY)]",
		Short: "Scan this machine, or with --ip another one over SSH, into the scanned instance NAME",
	}, &rf)
	run.RunE = clientRun(&rf, func(ctx context.Context, e *cli.Env) error {
		if so.Host == "" {
			if run.Flags().Changed("scan-login") || run.Flags().Changed("scan-password") || run.Flags().Changed("identity-file") {
				return errors.New("--scan-login, --scan-password and --identity-file go with --ip")
			}
			ro.Version = version
			if ro.TempDir == "" {
				ro.TempDir = os.TempDir()
			}
			ro.Logger = slog.New(slog.NewTextHandler(e.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
			return cli.ScanRun(ctx, e, ro)
		}
		if run.Flags().Changed("root") {
			return errors.New("--root scans a local directory; with --ip use --scan-root")
		}
		so.Name, so.Overlay, so.Exclude = ro.Name, ro.Overlay, ro.Exclude
		return cli.ScanRunSSH(ctx, e, so)
	})
	rfl := run.Flags()
	rfl.StringVar(&ro.Name, "name", "", "scanned instance name; an existing one groups the scans (required)")
	rfl.BoolVarP(&ro.Overlay, "overlay", "o", false, "also send every file no package provides (the overlay)")
	rfl.StringArrayVarP(&ro.Exclude, "exclude", "e", nil, "absolute path left out of the overlay (repeatable)")
	rfl.StringVar(&ro.Root, "root", "/", "without --ip: root of the system to scan (a mounted disk scans offline)")
	rfl.StringVar(&so.Host, "ip", "", "scan this host over SSH (the agent is copied there and run, as hammr does)")
	rfl.IntVar(&so.Port, "scan-port", 22, "SSH port")
	rfl.StringVar(&so.Login, "scan-login", "", "SSH login on --ip (root to see every file)")
	rfl.StringVar(&so.Password, "scan-password", "", "SSH password")
	rfl.StringVar(&so.IdentityFile, "identity-file", "", "SSH private key (without passphrase)")
	rfl.StringVar(&so.Dir, "dir", "/tmp", "directory on --ip under which a private directory (mktemp -d) receives the agent; removed afterwards")
	rfl.StringVar(&so.KnownHosts, "known-hosts", "", "known_hosts file that --ip's SSH host key is checked against (default ~/.config/kiln/known_hosts)")
	rfl.BoolVar(&so.AcceptNewHostKey, "accept-new-host-key", false, "trust an --ip host whose key is unknown, and record its key (a changed key is always refused)")
	rfl.StringVar(&so.Root, "scan-root", "", "with --ip: root of the system to scan there (default /)")
	_ = run.MarkFlagRequired("name")

	scan.AddCommand(list, build, del, run)
	return scan
}
