package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kilnhq/kiln/internal/client"
	"github.com/kilnhq/kiln/internal/hammr"
	"github.com/kilnhq/kiln/internal/uforge"
)

// GenerationResult is one builder's outcome in `--output json`.
type GenerationResult struct {
	Builder      int    `json:"builder"`
	Type         string `json:"type"`
	TargetFormat string `json:"targetFormat"`
	ImageID      int64  `json:"imageId,omitempty"`
	URI          string `json:"uri,omitempty"`
	Status       string `json:"status"` // complete | error | cancelled | not started
	Message      string `json:"message,omitempty"`
}

// genRequest is a builder turned into an image request.
type genRequest struct {
	index int
	typ   string
	tf    *uforge.TargetFormat
	img   *uforge.Image
}

// prepare reads the builders of file and turns every one into an image
// request before anything is generated, so that a mistake in the last builder
// costs no generation.
func (e *Env) prepare(ctx context.Context, file string, o hammr.RequestOptions) ([]genRequest, error) {
	if _, err := hammr.FormatOf(file); err != nil {
		return nil, err
	}
	data, err := hammr.Read(ctx, file)
	if err != nil {
		return nil, err
	}
	builders, err := hammr.ParseBuilders(file, data)
	if err != nil {
		return nil, err
	}
	tfs, err := e.Client.TargetFormats(ctx, e.User)
	if err != nil {
		return nil, err
	}
	var reqs []genRequest
	for i, b := range builders {
		tf, inexact, err := hammr.MatchFormat(string(b.Type), tfs.TargetFormats)
		if err != nil {
			return nil, fmt.Errorf("builders[%d]: %w", i, err)
		}
		if inexact {
			e.Warn("builders[%d]: type %q taken as the target format %q", i, b.Type, uforge.StrValue(tf.Name))
		}
		if tf.Active != nil && !*tf.Active {
			return nil, fmt.Errorf("builders[%d] (%s): this server cannot generate %q yet", i, b.Type, uforge.StrValue(tf.Name))
		}
		img, warns, err := hammr.Request(i, b, tf, o)
		if err != nil {
			return nil, err
		}
		for _, w := range warns {
			e.Warn("%s", w)
		}
		reqs = append(reqs, genRequest{index: i, typ: string(b.Type), tf: tf, img: img})
	}
	return reqs, nil
}

// generate posts each request with post and follows it to its end, as hammr
// does: one builder after the other. A failed builder does not stop the next
// ones; a cancel by the user does.
func (e *Env) generate(ctx context.Context, reqs []genRequest, post func(*uforge.Image) (*uforge.Image, error)) error {
	results := make([]GenerationResult, 0, len(reqs))
	var failed []string
	stopped := false
	for _, r := range reqs {
		name := uforge.StrValue(r.tf.Name)
		res := GenerationResult{Builder: r.index, Type: r.typ, TargetFormat: name, Status: "not started"}
		if stopped {
			results = append(results, res)
			continue
		}
		e.Info("Generating '%s' image (builder %d)", name, r.index)
		ticket, err := post(r.img)
		if err != nil {
			res.Status, res.Message = "error", err.Error()
			results = append(results, res)
			failed = append(failed, fmt.Sprintf("'%s': %v", name, err))
			e.reportPostError(name, err)
			continue
		}
		res.ImageID, res.URI = uforge.Int64Value(ticket.DBID), uforge.StrValue(ticket.URI)
		out, err := e.Follow(ctx, name, res.URI, ticket.Status)
		if err != nil {
			return err
		}
		res.Status, res.Message = statusWord(out.Status), uforge.StrValue(out.Status.Message)
		if uforge.BoolValue(out.Status.Error) {
			res.Message = firstLine(uforge.StrValue(out.Status.ErrorMessage), res.Message)
		}
		results = append(results, res)
		if err := e.Report(name, ticket, out); err != nil {
			failed = append(failed, err.Error())
		}
		if out.CancelledByUser {
			stopped = true
		}
	}
	if e.JSON {
		if err := e.PrintJSON(results); err != nil {
			return err
		}
	}
	switch {
	case stopped:
		return errors.New("generation cancelled")
	case len(failed) == 1:
		return errors.New(failed[0])
	case len(failed) > 1:
		return fmt.Errorf("%d generations failed: %s", len(failed), strings.Join(failed, "; "))
	}
	return nil
}

func (e *Env) reportPostError(name string, err error) {
	fmt.Fprintf(e.Err, "Generation '%s' error\n%v\n", name, err)
}

// findTemplate finds the appliance of a template build: --id, else the
// stack's name and version (contract §8.1).
func (e *Env) findTemplate(ctx context.Context, id int64, tpl *hammr.Template) (*uforge.Appliance, error) {
	if id > 0 {
		a, err := e.Client.Appliance(ctx, e.User, id)
		if ae, ok := client.AsAPIError(err); ok && ae.Status == 404 {
			return nil, fmt.Errorf("No template found with id %d", id)
		}
		return a, err
	}
	if tpl == nil || tpl.Stack == nil || strings.TrimSpace(string(tpl.Stack.Name)) == "" || strings.TrimSpace(string(tpl.Stack.Version)) == "" {
		return nil, errors.New("without --id the file needs stack.name and stack.version to find the template")
	}
	name, version := strings.TrimSpace(string(tpl.Stack.Name)), strings.TrimSpace(string(tpl.Stack.Version))
	apps, err := e.Client.Appliances(ctx, e.User, "name=="+fiqlQuote(name)+";version=="+fiqlQuote(version))
	if err != nil {
		return nil, err
	}
	switch len(apps.Appliances) {
	case 0:
		return nil, fmt.Errorf("No template found named '%s' version '%s' (template create --file makes it)", name, version)
	case 1:
		return &apps.Appliances[0], nil
	}
	return nil, fmt.Errorf("%d templates are named '%s' version '%s': use --id", len(apps.Appliances), name, version)
}

// TemplateBuild is `template build --file F [--id N]`: one image per builder
// of F (a template or a builder file), each followed with a progress bar.
func TemplateBuild(ctx context.Context, e *Env, file string, id int64) error {
	var tpl *hammr.Template
	if id <= 0 {
		var err error
		if tpl, err = e.readTemplate(ctx, file); err != nil {
			return err
		}
	}
	a, err := e.findTemplate(ctx, id, tpl)
	if err != nil {
		return err
	}
	aid := uforge.Int64Value(a.DBID)
	ip, err := e.Client.InstallProfile(ctx, e.User, aid)
	if err != nil {
		return err
	}
	reqs, err := e.prepare(ctx, file, hammr.RequestOptions{AutoPartition: ip.PartitionAuto == nil || *ip.PartitionAuto})
	if err != nil {
		return err
	}
	e.Info("Template '%s' version '%s' (id %d): %d builders", uforge.StrValue(a.Name), uforge.StrValue(a.Version), aid, len(reqs))
	return e.generate(ctx, reqs, func(img *uforge.Image) (*uforge.Image, error) {
		return e.Client.GenerateImage(ctx, e.User, aid, img)
	})
}
