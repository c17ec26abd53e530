package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/kilnhq/kiln/internal/scan"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/uforge"
)

// ScanInstallProfile returns the install profile found by a scan
// (scanInstallProfile_get), as generation will use it.
func (s *Scans) ScanInstallProfile(ctx context.Context, p *Principal, uid string, siid, sid int64) (*uforge.InstallProfile, error) {
	u, si, sc, err := s.ownedScan(ctx, p, uid, siid, sid)
	if err != nil {
		return nil, err
	}
	rep, err := scanReport(sc)
	if err != nil {
		return nil, err
	}
	in := scan.Install(&rep.Profile)
	w := installFromSpec(&in)
	w.URI = new(scanURI(u.Login, si.ID, sc.ID) + "/installProfile")
	return w, nil
}

// installFromSpec renders a spec install profile on the wire.
func installFromSpec(in *spec.Install) *uforge.InstallProfile {
	w := &uforge.InstallProfile{
		DiskSize: new(in.Disk.SizeMB),
		SwapSize: new(in.Disk.SwapMB),
		Timezone: new(in.Timezone),
		Users:    []uforge.OSUser{},
		Groups:   []uforge.OSGroup{},
		Nics:     []uforge.Nic{},
	}
	if len(in.KernelParameters) > 0 {
		w.KernelParameters = new(strings.Join(in.KernelParameters, " "))
	}
	root := uforge.OSUser{Name: new("root"), UserID: new("0"), SSHKeys: renderKeys(in.RootSSHKeys)}
	if in.RootPasswordHash != "" {
		root.Password, root.Encrypted = new(in.RootPasswordHash), new(true)
	}
	w.RootUser = &root
	for _, u := range in.Users {
		ou := uforge.OSUser{Name: new(u.Name), FullName: new(u.FullName), HomeDir: new(u.Home), Shell: new(u.Shell),
			PrimaryGroup: new(u.PrimaryGroup), SecondaryGroups: new(strings.Join(u.Groups, ",")),
			UserID: new(strconv.Itoa(u.UID)), SSHKeys: renderKeys(u.SSHKeys)}
		if u.PasswordHash != "" {
			ou.Password, ou.Encrypted = new(u.PasswordHash), new(true)
		}
		w.Users = append(w.Users, ou)
	}
	for _, g := range in.Groups {
		w.Groups = append(w.Groups, uforge.OSGroup{Name: new(g.Name), GroupID: new(strconv.Itoa(g.GID))})
	}
	nic := uforge.Nic{Name: new("eth0"), Order: new(0), IPv4Method: new("AUTOMATIC")}
	if in.Network.Mode == "static" {
		nic.IPv4Method = new("MANUAL")
	}
	w.Nics = append(w.Nics, nic)
	return w
}

func renderKeys(keys []string) []uforge.SSHKey {
	out := []uforge.SSHKey{}
	for i, k := range keys {
		out = append(out, uforge.SSHKey{Name: new(fmt.Sprintf("key%d", i+1)), PublicKey: new(k)})
	}
	return out
}

// ScanPackages returns the packages a scan found (scanPackage_getAll).
func (s *Scans) ScanPackages(ctx context.Context, p *Principal, uid string, siid, sid int64) (*uforge.ScannedPkgs, error) {
	_, si, sc, err := s.ownedScan(ctx, p, uid, siid, sid)
	if err != nil {
		return nil, err
	}
	rep, err := scanReport(sc)
	if err != nil {
		return nil, err
	}
	pkgs := renderScannedPackages(si, rep)
	return &uforge.ScannedPkgs{Objects: uforge.Objects{Total: new(int64(len(pkgs)))}, ScannedPackages: pkgs}, nil
}
