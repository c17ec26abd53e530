package store

import (
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/store/pgtest"
	"github.com/pressly/goose/v3"
)

func TestSQLiteMigrationsDownUp(t *testing.T) {
	t.Parallel()
	testMigrationsDownUp(t, filepath.Join(t.TempDir(), "kiln.db"))
}

func TestPostgresMigrationsDownUp(t *testing.T) {
	t.Parallel()
	testMigrationsDownUp(t, pgtest.Start(t))
}

// testMigrationsDownUp rolls the latest two migrations back and forth over
// existing rows, then the whole schema: every Down undoes its Up.
func testMigrationsDownUp(t *testing.T, dsn string) {
	ctx := t.Context()
	s, err := Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir, err := fs.Sub(migrations, migrationDir(s.dialect))
	if err != nil {
		t.Fatal(err)
	}
	gd := goose.DialectSQLite3
	if s.dialect == DialectPostgres {
		gd = goose.DialectPostgres
	}
	// Not closed: Provider.Close would close s.db.
	p, err := goose.NewProvider(gd, s.db, dir, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}

	u := &User{Login: "u"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	img := &Image{OwnerID: u.ID, ScanID: 1, FormatID: 1, Name: "i", Spec: []byte(`{}`), State: ImageQueued,
		Fidelity: []byte(`{}`)}
	if err := s.CreateImage(ctx, img, Unlimited()); err != nil {
		t.Fatal(err)
	}
	in := &ScannedInstance{OwnerID: u.ID, Name: "web"}
	if err := s.CreateScannedInstance(ctx, in); err != nil {
		t.Fatal(err)
	}
	key := &APIKey{UserID: u.ID, PublicKey: "pub", SecretKey: "sec", Expires: time.Now().Add(time.Hour)}
	if err := s.CreateAPIKey(ctx, key); err != nil {
		t.Fatal(err)
	}

	if err := s.SetUserQuotas(ctx, u.ID, map[string]int64{QuotaImages: 3}); err != nil {
		t.Fatal(err)
	}

	// 00005: quotas, and when each image's download key was issued.
	if _, err := p.Down(ctx); err != nil {
		t.Fatalf("down one version: %v", err)
	}
	if _, err := s.UserQuotas(ctx, u.ID); err == nil {
		t.Error("user_quotas survived its migration's Down")
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	got, err := s.GetImage(ctx, img.ID)
	if err != nil || got.ScanID != 1 || !got.DownloadKeyIssued.Equal(got.Modified) {
		t.Errorf("image after down and up = %+v, %v; want its key issued at its last change", got, err)
	}
	// 00005 again, then 00004: the key stays, without its expiry; up again it never expires.
	if _, err := p.Down(ctx); err != nil {
		t.Fatalf("down again: %v", err)
	}
	if _, err := p.Down(ctx); err != nil {
		t.Fatalf("down two versions: %v", err)
	}
	if _, err := s.GetAPIKeyByPublic(ctx, "pub"); err == nil {
		t.Error("api_keys.expires survived its migration's Down")
	}
	// 00003: scans and the images' fidelity.
	if _, err := p.Down(ctx); err != nil {
		t.Fatalf("down three versions: %v", err)
	}
	if _, err := s.ListScannedInstances(ctx, u.ID, ""); err == nil {
		t.Error("scanned_instances survived its migration's Down")
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	got, err = s.GetImage(ctx, img.ID)
	if err != nil || len(got.Fidelity) != 0 || got.ScanID != 1 {
		t.Errorf("image after down and up = %+v, %v", got, err)
	}
	if k, err := s.GetAPIKeyByPublic(ctx, "pub"); err != nil || !k.Expires.IsZero() || k.SecretKey != "sec" {
		t.Errorf("api key after down and up = %+v, %v", k, err)
	}

	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("down to 0: %v", err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up from 0: %v", err)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 0 {
		t.Errorf("CountUsers on a recreated schema = %d, %v", n, err)
	}
}
