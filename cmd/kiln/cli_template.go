package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/internal/cli"
)

// newTemplateCmd is `kiln template …`, as hammr's: create, list, info,
// delete, clone, export and build.
func newTemplateCmd() *cobra.Command {
	var f cli.Flags
	var file string
	var id int64

	create := &cobra.Command{
		Use:   "create --file TEMPLATE",
		Short: "Create a template from a hammr template file (JSON or YAML, a path or an http(s) URL)",
		Long: `Create a template (appliance) from a hammr template file: stack name, version and
description, os (name, version, arch, profile, pkgs) and installation (disk and swap
sizes, time zone, keyboard, kernel parameters, root user, users, groups, SSH keys,
plain partitioning). What Kiln cannot honour (bundles, boot scripts, LVM …) is named
in a warning on stderr.`,
		Args: cobra.NoArgs,
		RunE: clientRun(&f, func(ctx context.Context, e *cli.Env) error { return cli.TemplateCreate(ctx, e, file) }),
	}
	create.Flags().StringVar(&file, "file", "", "hammr template file (.json, .yml, .yaml)")
	_ = create.MarkFlagRequired("file")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the templates",
		Args:  cobra.NoArgs,
		RunE:  clientRun(&f, cli.TemplateList),
	}

	info := &cobra.Command{
		Use:   "info --id ID",
		Short: "Show a template",
		Args:  cobra.NoArgs,
		RunE:  clientRun(&f, func(ctx context.Context, e *cli.Env) error { return cli.TemplateInfo(ctx, e, id) }),
	}
	info.Flags().Int64Var(&id, "id", 0, "template id")
	_ = info.MarkFlagRequired("id")

	var noPrompt bool
	del := &cobra.Command{
		Use:   "delete --id ID [--no-prompt]",
		Short: "Delete a template and its images",
		Args:  cobra.NoArgs,
		RunE: clientRun(&f, func(ctx context.Context, e *cli.Env) error {
			return cli.TemplateDelete(ctx, e, id, noPrompt)
		}),
	}
	del.Flags().Int64Var(&id, "id", 0, "template id")
	del.Flags().BoolVar(&noPrompt, "no-prompt", false, "do not ask for confirmation")
	del.Flags().BoolVar(&noPrompt, "no-confirm", false, "same as --no-prompt")
	_ = del.Flags().MarkHidden("no-confirm")
	_ = del.MarkFlagRequired("id")

	var name, ver string
	clone := &cobra.Command{
		Use:   "clone --id ID --name NAME --version VERSION",
		Short: "Copy a template under a new name and version",
		Args:  cobra.NoArgs,
		RunE: clientRun(&f, func(ctx context.Context, e *cli.Env) error {
			return cli.TemplateClone(ctx, e, id, name, ver)
		}),
	}
	clone.Flags().Int64Var(&id, "id", 0, "template id")
	clone.Flags().StringVar(&name, "name", "", "name of the copy")
	clone.Flags().StringVar(&ver, "version", "", "version of the copy")
	for _, n := range []string{"id", "name", "version"} {
		_ = clone.MarkFlagRequired(n)
	}

	var force bool
	export := &cobra.Command{
		Use:   "export --id ID --file FILE",
		Short: "Write a template as a hammr template file (JSON or YAML by the file's extension)",
		Args:  cobra.NoArgs,
		RunE: clientRun(&f, func(ctx context.Context, e *cli.Env) error {
			return cli.TemplateExport(ctx, e, id, file, force)
		}),
	}
	export.Flags().Int64Var(&id, "id", 0, "template id")
	export.Flags().StringVar(&file, "file", "", "file to write (.json, .yml, .yaml)")
	export.Flags().BoolVar(&force, "force", false, "overwrite the file")
	_ = export.MarkFlagRequired("id")
	_ = export.MarkFlagRequired("file")

	build := &cobra.Command{
		Use:   "build --file FILE [--id ID]",
		Short: "Generate one image per builder of a template or builder file, with progress bars",
		Long: `Generate the images the "builders" of FILE describe (a hammr template or builder
file) from the template --id, or else the one named by the file's stack name and
version. Each generation is followed on stderr every 2 s; Ctrl-C asks whether to
cancel it (without a terminal on stdin, it cancels).`,
		Args: cobra.NoArgs,
		RunE: followRun(&f, func(ctx context.Context, e *cli.Env) error { return cli.TemplateBuild(ctx, e, file, id) }),
	}
	build.Flags().StringVar(&file, "file", "", "template or builder file (.json, .yml, .yaml)")
	build.Flags().Int64Var(&id, "id", 0, "template id (default: found by the file's stack name and version)")
	_ = build.MarkFlagRequired("file")

	return clientGroup("template", "Templates (appliances): create from hammr files, list, build images", &f,
		create, list, info, del, clone, export, build)
}
