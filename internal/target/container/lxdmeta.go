package container

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// lxdMetadata is metadata.yaml of an LXD/Incus image. Only architecture
// and creation_date are required; the properties are what `image list`
// shows and what `image info` reports.
type lxdMetadata struct {
	Architecture string                 `yaml:"architecture"`
	CreationDate int64                  `yaml:"creation_date"`
	Properties   map[string]string      `yaml:"properties"`
	Templates    map[string]lxdTemplate `yaml:"templates"`
}

// lxdTemplate is one templated file: LXD renders templates/<Template>
// (pongo2) into the path on the events listed in When.
type lxdTemplate struct {
	When       []string `yaml:"when"`
	CreateOnly bool     `yaml:"create_only"`
	Template   string   `yaml:"template"`
}

// templateFile is a template and the file it renders.
type templateFile struct {
	target string // path inside the instance
	file   string // name under templates/
	body   string
}

// lxdTemplates gives each instance its own host name. "instance" is the
// template context name of current LXD and Incus ("container" is its
// deprecated alias). Rendering on create and copy, not start, leaves a
// name the user set inside the container alone.
func lxdTemplates() []templateFile {
	return []templateFile{
		{target: "/etc/hostname", file: "hostname.tpl", body: "{{ instance.name }}\n"},
		{target: "/etc/hosts", file: "hosts.tpl", body: "127.0.0.1\tlocalhost\n" +
			"127.0.1.1\t{{ instance.name }}\n\n" +
			"# The following lines are desirable for IPv6 capable hosts\n" +
			"::1\tlocalhost ip6-localhost ip6-loopback\n" +
			"ff02::1\tip6-allnodes\n" +
			"ff02::2\tip6-allrouters\n"},
	}
}

func lxdMetadataYAML(p prepared) ([]byte, error) {
	osr, err := readOSRelease(p.Root)
	if err != nil {
		return nil, err
	}
	osID := strings.ToLower(osr["ID"])
	if osID == "" {
		osID = "debian"
	}
	release := osr["VERSION_CODENAME"]
	if release == "" {
		release = osr["VERSION_ID"]
	}
	pretty := osr["PRETTY_NAME"]
	if pretty == "" {
		pretty = strings.TrimSpace("Debian " + osr["VERSION_ID"])
	}
	desc := strings.TrimSpace(p.Name + " " + p.Version)
	if desc == "" {
		desc = pretty
	} else {
		desc += " (" + pretty + ")"
	}

	props := map[string]string{
		"architecture": p.plat.lxdArch,
		"description":  desc,
		"os":           osID,
		"release":      release,
		"serial":       p.created.Format("20060102_1504"),
	}
	if p.Name != "" {
		props["name"] = p.Name
	}
	if p.Version != "" {
		props["version"] = p.Version
	}
	templates := make(map[string]lxdTemplate)
	for _, t := range lxdTemplates() {
		templates[t.target] = lxdTemplate{When: []string{"create", "copy"}, Template: t.file}
	}
	data, err := yaml.Marshal(lxdMetadata{
		Architecture: p.plat.lxdArch,
		CreationDate: p.created.Unix(),
		Properties:   props,
		Templates:    templates,
	})
	if err != nil {
		return nil, fmt.Errorf("lxc image: encode metadata.yaml: %w", err)
	}
	return data, nil
}
