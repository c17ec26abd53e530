package container

import "strings"

// Limits of the distribution reference grammar: a tag has at most 128
// characters; a repository component has no limit of its own, but the whole
// name must stay under 255 with the registry and namespace in front of it.
const (
	maxTag      = 128
	maxRepo     = 128
	defaultRepo = "kiln-image"
	defaultTag  = "latest"
)

// repositoryName turns an appliance name into a valid repository name made
// of one component, [a-z0-9]+(?:[._-][a-z0-9]+)*: lower case, any other
// character becomes "-", runs of separators become one "-" and none is left
// at either end. An empty result becomes "kiln-image".
func repositoryName(name string) string {
	var b strings.Builder
	run := 0 // separators seen since the last letter or digit
	var last rune
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if run == 1 && b.Len() > 0 {
				b.WriteRune(last)
			} else if run > 1 && b.Len() > 0 {
				b.WriteByte('-')
			}
			run = 0
			b.WriteRune(r)
			continue
		}
		last = '-'
		if r == '.' || r == '_' {
			last = r
		}
		run++
	}
	repo := b.String()
	if len(repo) > maxRepo {
		repo = strings.TrimRight(repo[:maxRepo], "._-")
	}
	if repo == "" {
		return defaultRepo
	}
	return repo
}

// tagName turns a version into a valid tag, [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}:
// other characters (the "+" or "~" of Debian versions, spaces) become "-"
// and leading "." and "-" are dropped. An empty result becomes "latest".
func tagName(version string) string {
	var b strings.Builder
	for _, r := range version {
		word := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_'
		switch {
		case word:
			b.WriteRune(r)
		case b.Len() == 0:
			// A tag cannot start with a separator.
		case r == '.' || r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	tag := b.String()
	if len(tag) > maxTag {
		tag = tag[:maxTag] // ASCII only by construction
	}
	if tag == "" {
		return defaultTag
	}
	return tag
}

// imageRef is the reference the archive is tagged with, in Docker's short
// form ("web:1.0") and fully qualified as containerd names images
// ("docker.io/library/web:1.0").
type imageRef struct {
	repo, tag string
}

func newImageRef(name, version string) imageRef {
	return imageRef{repo: repositoryName(name), tag: tagName(version)}
}

func (r imageRef) short() string { return r.repo + ":" + r.tag }

func (r imageRef) containerd() string { return "docker.io/library/" + r.repo + ":" + r.tag }
