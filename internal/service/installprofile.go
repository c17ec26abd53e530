package service

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/uforge"
)

// GetInstallProfile returns an appliance's install profile (ipid is the appliance
// id; 0 for the deprecated form without it).
func (s *Appliances) GetInstallProfile(ctx context.Context, p *Principal, uid string, aid, ipid int64) (*uforge.InstallProfile, error) {
	u, a, d, err := s.owned(ctx, p, uid, aid)
	if err != nil {
		return nil, err
	}
	if ipid != 0 && ipid != a.ID {
		return nil, notFound("installprofile", "install profile %d of appliance %d does not exist", ipid, aid)
	}
	return renderInstallProfile(u.Login, a.ID, d.Install), nil
}

// UpdateInstallProfile merges the fields present in `in` into the install profile.
func (s *Appliances) UpdateInstallProfile(ctx context.Context, p *Principal, uid string, aid, ipid int64, in *uforge.InstallProfile) (*uforge.InstallProfile, error) {
	u, a, d, err := s.owned(ctx, p, uid, aid)
	if err != nil {
		return nil, err
	}
	if ipid != 0 && ipid != a.ID {
		return nil, notFound("installprofile", "install profile %d of appliance %d does not exist", ipid, aid)
	}
	if err := mergeInstallProfile(d.Install, in, "installProfile"); err != nil {
		return nil, err
	}
	if err := s.saveAppliance(ctx, a, d); err != nil {
		return nil, err
	}
	return renderInstallProfile(u.Login, a.ID, d.Install), nil
}

// mergeInstallProfile copies every field present in `in` onto dst, hashes clear
// passwords, and validates the result as the engine will read it. dst is left
// unchanged when the result is invalid.
func mergeInstallProfile(dst, in *uforge.InstallProfile, where string) error {
	next := *dst
	setIf(&next.DiskSize, in.DiskSize)
	setIf(&next.SwapSize, in.SwapSize)
	setIf(&next.MemorySize, in.MemorySize)
	setIf(&next.HWType, in.HWType)
	setIf(&next.FirewallAuto, in.FirewallAuto)
	setIf(&next.FirewallEnabled, in.FirewallEnabled)
	setIf(&next.InternetSettingsAuto, in.InternetSettingsAuto)
	setIf(&next.KernelParameters, in.KernelParameters)
	setIf(&next.Keyboard, in.Keyboard)
	setIf(&next.KeyboardAuto, in.KeyboardAuto)
	setIf(&next.PartitionAuto, in.PartitionAuto)
	setIf(&next.Timezone, in.Timezone)
	setIf(&next.TimezoneAuto, in.TimezoneAuto)
	setIf(&next.TimezoneCity, in.TimezoneCity)
	setIf(&next.WelcomeMsg, in.WelcomeMsg)
	setIf(&next.SeLinuxMode, in.SeLinuxMode)
	setIf(&next.VagrantUser, in.VagrantUser)
	setIf(&next.SkipLicenses, in.SkipLicenses)
	setIf(&next.UpdateTools, in.UpdateTools)
	if in.PartitionTable != nil {
		next.PartitionTable = in.PartitionTable
	} else if in.DiskSize != nil && next.PartitionTable != nil && len(next.PartitionTable.Disks) == 1 && uforge.BoolValue(next.PartitionAuto) {
		// An automatic layout follows the disk size.
		pt := *next.PartitionTable
		pt.Disks = []uforge.Disk{next.PartitionTable.Disks[0]}
		pt.Disks[0].Size = new(*in.DiskSize)
		next.PartitionTable = &pt
	}
	if in.Nics != nil {
		next.Nics = in.Nics
	}
	if in.Groups != nil {
		next.Groups = in.Groups
	}
	if in.Users != nil {
		users := make([]uforge.OSUser, len(in.Users))
		for i := range in.Users {
			u := in.Users[i]
			if err := hashPassword(&u, fmt.Sprintf("%s/users/user[%d]", where, i)); err != nil {
				return err
			}
			users[i] = u
		}
		next.Users = users
	}
	if in.RootUser != nil {
		root := *in.RootUser
		if root.Password == nil && next.RootUser != nil {
			root.Password, root.Encrypted = next.RootUser.Password, next.RootUser.Encrypted
		}
		if err := hashPassword(&root, where+"/rootUser"); err != nil {
			return err
		}
		next.RootUser = &root
	}
	if next.Keyboard != nil && !uforge.ValidKeyboard(*next.Keyboard) {
		return invalid("installprofile.keyboard", "%s/keyboard: %q is not a keymap UForge knows", where, *next.Keyboard)
	}
	if next.MemorySize != nil && *next.MemorySize <= 0 {
		return invalid("installprofile.memorySize", "%s/memorySize: must be a positive number of MB", where)
	}
	if _, err := installToSpec(&next, "kiln"); err != nil {
		return invalid("installprofile.invalid", "%s: %v", where, err)
	}
	probe := spec.Spec{Version: spec.Version, Distribution: spec.Distribution{Release: "12"}, Output: spec.Output{Format: "raw"}}
	probe.Install, _ = installToSpec(&next, "kiln")
	probe.Output.MemoryMB = uforge.Int64Value(next.MemorySize)
	probe.Defaults()
	if err := probe.Validate(); err != nil {
		return invalid("installprofile.invalid", "%s: %s", where, wireNames(err))
	}
	*dst = next
	return nil
}

func setIf[T any](dst **T, v *T) {
	if v != nil {
		c := *v
		*dst = &c
	}
}

// hashPassword replaces a clear-text password by its SHA-512 crypt hash.
func hashPassword(u *uforge.OSUser, where string) error {
	if u.Password == nil || *u.Password == "" {
		return nil
	}
	if uforge.BoolValue(u.Encrypted) || auth.IsShadowHash(*u.Password) {
		if !auth.IsShadowHash(*u.Password) {
			return invalid("installprofile.password", "%s/password: encrypted=true but the value is not a crypt(3) hash", where)
		}
		u.Encrypted = new(true)
		return nil
	}
	h, err := auth.ShadowHash(*u.Password)
	if err != nil {
		return err
	}
	u.Password, u.Encrypted = new(h), new(true)
	return nil
}

// wireNames rewrites spec field names in validation errors to the wire's.
func wireNames(err error) string {
	r := strings.NewReplacer(
		"install.disk.sizeMB", "diskSize", "install.disk.swapMB", "swapSize",
		"install.disk.partitions", "partitionTable/disks/disk[0]/partitions",
		"install.rootSshKeys", "rootUser/sshKeys", "install.rootPasswordHash", "rootUser/password",
		"install.users", "users/user", "install.groups", "groups/group",
		"install.kernelParameters", "kernelParameters", "output.memoryMB", "memorySize", "].groups", "].secondaryGroups", "install.", "")
	return r.Replace(strings.ReplaceAll(err.Error(), "\n", "; "))
}

var hostnameSafe = regexp.MustCompile(`[^a-z0-9-]+`)

// HostnameFor derives an image's hostname from the appliance name (the UForge
// install profile has no hostname element): lower case, runs of other
// characters become '-', at most 63 characters.
func HostnameFor(name string) string {
	h := strings.Trim(hostnameSafe.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(h) > 63 {
		h = strings.Trim(h[:63], "-")
	}
	if h == "" {
		return "localhost"
	}
	return h
}

// kernelParameters splits the wire's command line into parameters. Blanks
// separate them; any other control character (a NUL, a newline, which would
// also split them) is refused rather than stored.
func kernelParameters(raw string) ([]string, error) {
	if strings.IndexFunc(raw, func(r rune) bool { return unicode.IsControl(r) && r != '\t' }) >= 0 {
		return nil, errors.New("kernelParameters: must not contain control characters other than blanks")
	}
	return strings.Fields(raw), nil
}

// installToSpec converts a wire install profile into the engine's form.
func installToSpec(ip *uforge.InstallProfile, hostname string) (spec.Install, error) {
	in := spec.Install{
		Hostname: hostname,
		Timezone: uforge.StrValue(ip.Timezone),
		Keyboard: uforge.StrValue(ip.Keyboard),
		Disk:     spec.Disk{SizeMB: uforge.Int64Value(ip.DiskSize), SwapMB: uforge.Int64Value(ip.SwapSize)},
	}
	kp, err := kernelParameters(uforge.StrValue(ip.KernelParameters))
	if err != nil {
		return spec.Install{}, err
	}
	in.KernelParameters = kp
	if r := ip.RootUser; r != nil {
		if pw := uforge.StrValue(r.Password); pw != "" {
			in.RootPasswordHash = pw
		}
		in.DisableRootPasswordLogin = uforge.BoolValue(r.DisablePasswordLogin)
		for _, k := range r.SSHKeys {
			in.RootSSHKeys = append(in.RootSSHKeys, strings.TrimSpace(uforge.StrValue(k.PublicKey)))
		}
	}
	for i, g := range ip.Groups {
		gid, err := optionalID(uforge.StrValue(g.GroupID))
		if err != nil {
			return in, fmt.Errorf("groups/group[%d]/groupId: %w", i, err)
		}
		in.Groups = append(in.Groups, spec.Group{Name: uforge.StrValue(g.Name), GID: gid, System: uforge.BoolValue(g.SystemGroup)})
	}
	for i, u := range ip.Users {
		uid, err := optionalID(uforge.StrValue(u.UserID))
		if err != nil {
			return in, fmt.Errorf("users/user[%d]/userId: %w", i, err)
		}
		su := spec.User{
			Name: uforge.StrValue(u.Name), FullName: uforge.StrValue(u.FullName), UID: uid,
			PrimaryGroup: uforge.StrValue(u.PrimaryGroup), Home: uforge.StrValue(u.HomeDir), Shell: uforge.StrValue(u.Shell),
			PasswordHash: uforge.StrValue(u.Password), Sudo: uforge.IntValue(u.Sudo) > 0, System: uforge.BoolValue(u.SystemUser),
		}
		for _, g := range strings.Split(uforge.StrValue(u.SecondaryGroups), ",") {
			if g = strings.TrimSpace(g); g != "" {
				su.Groups = append(su.Groups, g)
			}
		}
		for _, k := range u.SSHKeys {
			su.SSHKeys = append(su.SSHKeys, strings.TrimSpace(uforge.StrValue(k.PublicKey)))
		}
		in.Users = append(in.Users, su)
	}
	if !uforge.BoolValue(ip.PartitionAuto) && ip.PartitionTable != nil && len(ip.PartitionTable.Disks) > 0 {
		parts, err := partitionsToSpec(ip.PartitionTable.Disks[0])
		if err != nil {
			return in, err
		}
		in.Disk.Partitions = parts
		if sz := uforge.Int64Value(ip.PartitionTable.Disks[0].Size); sz > 0 {
			in.Disk.SizeMB = sz
		}
	}
	if len(ip.Nics) > 0 && uforge.StrValue(ip.Nics[0].IPv4Method) == "static" && len(ip.Nics[0].IPAddresses) > 0 {
		a := ip.Nics[0].IPAddresses[0]
		in.Network = spec.Network{Mode: "static", Address: cidr(uforge.StrValue(a.Address), uforge.StrValue(a.Netmask)),
			Gateway: uforge.StrValue(a.Gateway)}
	}
	return in, nil
}

// partitionsToSpec maps hammr's plain partitions (contract §9.4) onto the engine's.
func partitionsToSpec(d uforge.Disk) ([]spec.Partition, error) {
	var out []spec.Partition
	for i, p := range d.Partitions {
		fs := strings.ToLower(uforge.StrValue(p.Fstype))
		switch fs {
		case "linux-swap", "swap":
			fs = "linux-swap"
		case "", "ext2", "ext3", "ext4", "xfs":
		default:
			return nil, fmt.Errorf("partitionTable/disks/disk[0]/partitions/partition[%d]/fstype: %q is not supported yet (ext2, ext3, ext4, xfs, linux-swap; LVM comes later)", i, fs)
		}
		out = append(out, spec.Partition{MountPoint: uforge.StrValue(p.Mpoint), FSType: fs,
			SizeMB: uforge.Int64Value(p.Size), Grow: uforge.BoolValue(p.Growable), Label: uforge.StrValue(p.Label)})
	}
	return out, nil
}

func optionalID(s string) (int, error) {
	if s = strings.TrimSpace(s); s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, errors.New("not a number")
	}
	if n == 0 {
		// 0 would read as root's id; an id is allocated when none is given.
		return 0, errors.New("0 is root's: leave it out to have one allocated")
	}
	return n, nil
}

// cidr joins an address and a dotted netmask into CIDR notation.
func cidr(addr, mask string) string {
	if addr == "" || strings.Contains(addr, "/") || mask == "" {
		return addr
	}
	n := 0
	for _, part := range strings.Split(mask, ".") {
		v, _ := strconv.Atoi(part)
		n += bits.OnesCount8(uint8(v))
	}
	return fmt.Sprintf("%s/%d", addr, n)
}
