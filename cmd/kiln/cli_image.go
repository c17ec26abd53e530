package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/internal/cli"
)

// newImageCmd is `kiln image …`, as hammr's: list, info, download, fidelity (scan images), cancel,
// delete, and regenerate (the request generated again, or the stored plan reproduced).
func newImageCmd() *cobra.Command {
	var f cli.Flags
	var id int64
	var noPrompt, force, reproduce bool
	var file string
	idFlag := func(c *cobra.Command) {
		c.Flags().Int64Var(&id, "id", 0, "image id (see image list)")
		_ = c.MarkFlagRequired("id")
	}
	promptFlags := func(c *cobra.Command) {
		c.Flags().BoolVar(&noPrompt, "no-prompt", false, "do not ask for confirmation")
		c.Flags().BoolVar(&noPrompt, "no-confirm", false, "same as --no-prompt")
		_ = c.Flags().MarkHidden("no-confirm")
	}

	list := &cobra.Command{
		Use:   "list",
		Short: "List the images, from templates and scans",
		Args:  cobra.NoArgs,
		RunE:  clientRun(&f, cli.ImageList),
	}
	info := &cobra.Command{
		Use:   "info --id ID",
		Short: "Show an image, its status and its source",
		Args:  cobra.NoArgs,
		RunE:  clientRun(&f, func(ctx context.Context, e *cli.Env) error { return cli.ImageInfo(ctx, e, id) }),
	}
	idFlag(info)
	download := &cobra.Command{
		Use:   "download --id ID --file FILE",
		Short: "Download a generated image, with a progress bar; the SHA-256 is checked",
		Args:  cobra.NoArgs,
		RunE:  clientRun(&f, func(ctx context.Context, e *cli.Env) error { return cli.ImageDownload(ctx, e, id, file) }),
	}
	idFlag(download)
	download.Flags().StringVar(&file, "file", "", "file to write (a directory: the server's file name in it)")
	_ = download.MarkFlagRequired("file")
	fidelity := &cobra.Command{
		Use:   "fidelity --id ID",
		Short: "Compare an image generated from a scan with the scanned machine, file by file and package by package",
		Args:  cobra.NoArgs,
		RunE:  clientRun(&f, func(ctx context.Context, e *cli.Env) error { return cli.ImageFidelity(ctx, e, id) }),
	}
	idFlag(fidelity)
	cancel := &cobra.Command{
		Use:   "cancel --id ID",
		Short: "Cancel a running generation",
		Args:  cobra.NoArgs,
		RunE:  clientRun(&f, func(ctx context.Context, e *cli.Env) error { return cli.ImageCancel(ctx, e, id, noPrompt) }),
	}
	idFlag(cancel)
	promptFlags(cancel)
	del := &cobra.Command{
		Use:   "delete --id ID",
		Short: "Delete an image (a running generation is cancelled first)",
		Args:  cobra.NoArgs,
		RunE:  clientRun(&f, func(ctx context.Context, e *cli.Env) error { return cli.ImageDelete(ctx, e, id, noPrompt) }),
	}
	idFlag(del)
	promptFlags(del)
	regen := &cobra.Command{
		Use:   "regenerate --id ID [--force] [--reproduce]",
		Short: "Generate a template image again: its request, from the template as it is now (a new image, revision + 1)",
		Args:  cobra.NoArgs,
		RunE: followRun(&f, func(ctx context.Context, e *cli.Env) error {
			return cli.ImageRegenerate(ctx, e, id, force, reproduce)
		}),
	}
	idFlag(regen)
	regen.Flags().BoolVar(&force, "force", false, "cancel a running generation of the same template and format first")
	regen.Flags().BoolVar(&reproduce, "reproduce", false, "execute the image's stored plan unchanged instead")

	return clientGroup("image", "Images: list, show, download, fidelity, cancel, delete, regenerate", &f,
		list, info, download, fidelity, cancel, del, regen)
}
