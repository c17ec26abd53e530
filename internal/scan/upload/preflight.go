package upload

import (
	"context"
	"errors"
	"fmt"

	"github.com/kilnhq/kiln/internal/scan"
	"github.com/kilnhq/kiln/internal/uforge"
)

// Preflight is the agent's -P: scan.Preflight's checks of the scanned system,
// then the server's: reachable (GET /status) and accepting the credentials
// (GET /users/{user}). It returns every check, and an error joining the
// failed blocking ones.
func Preflight(ctx context.Context, o Options) (scan.Checks, error) {
	root := o.Root
	if root == "" {
		root = "/"
	}
	checks, err := scan.Preflight(ctx, root, scan.PreflightOptions{TempDir: o.TempDir})
	var errs []error
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // scan.Preflight's "preflight: " prefix: ours comes last
		}
		errs = append(errs, err)
	}
	add := func(name, detail string, err error) {
		c := scan.Check{Name: name, OK: err == nil, Blocking: true, Detail: detail}
		if err != nil {
			c.Detail = err.Error()
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		checks = append(checks, c)
	}
	if o.Client == nil {
		return checks, errors.New("preflight: no API client")
	}

	st, err := o.Client.Status(ctx)
	version := ""
	if st != nil {
		version = uforge.StrValue(st.Version)
	}
	add("server", fmt.Sprintf("%s answers (version %s)", o.Client.BaseURL, version), err)
	if err == nil {
		_, err = o.Client.GetUser(ctx, o.User)
		add("credentials", fmt.Sprintf("user %s is accepted", o.User), err)
	} else {
		add("credentials", "", errors.New("not checked: the server cannot be reached"))
	}
	if len(errs) > 0 {
		return checks, fmt.Errorf("preflight: %w", errors.Join(errs...))
	}
	return checks, nil
}
