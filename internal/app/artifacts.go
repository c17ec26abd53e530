package app

import (
	"context"
	"io"
	"time"

	"github.com/kilnhq/kiln/internal/artifact"
	"github.com/kilnhq/kiln/internal/service"
)

// artifacts adapts the artifact store to what the use cases, the job runner
// and the engine need.
type artifacts struct{ s artifact.Store }

func newArtifacts(dir string) (artifacts, error) {
	l, err := artifact.NewLocal(dir)
	return artifacts{l}, err
}

func (a artifacts) PutFile(ctx context.Context, key, path, sha256 string) (int64, string, error) {
	info, err := a.s.PutFile(ctx, key, path, sha256)
	return info.Size, info.SHA256, err
}

func (a artifacts) Open(ctx context.Context, key string) (service.Artifact, error) {
	o, err := a.s.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	return object{o}, nil
}

func (a artifacts) Delete(ctx context.Context, key string) error { return a.s.Delete(ctx, key) }

type object struct{ artifact.Object }

func (o object) Size() int64        { return o.Info().Size }
func (o object) SHA256() string     { return o.Info().SHA256 }
func (o object) ModTime() time.Time { return o.Info().ModTime }

// OpenOverlay opens a scan's stored overlay for the generation engine.
func (a artifacts) OpenOverlay(ctx context.Context, key string) (io.ReadCloser, error) {
	return a.s.Open(ctx, key)
}
