package hammr

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Credentials is hammr's credentials file (contract §9.1):
//
//	{"user": "root", "password": "…" | "publickey": "…", "secretkey": "…",
//	 "url": "https://host/api", "acceptAutoSigned": true}
type Credentials struct {
	User      String `json:"user" yaml:"user,omitempty"`
	Password  String `json:"password" yaml:"password,omitempty"`
	PublicKey String `json:"publickey" yaml:"publickey,omitempty"`
	SecretKey String `json:"secretkey" yaml:"secretkey,omitempty"`
	URL       String `json:"url" yaml:"url,omitempty"`
	// AcceptAutoSigned disables TLS verification when true; hammr's default
	// (absent) is true.
	AcceptAutoSigned *Bool `json:"acceptAutoSigned" yaml:"acceptAutoSigned,omitempty"`
}

// InsecureTLS reports whether the file asks to skip TLS verification
// (acceptAutoSigned, true unless the file says false).
func (c *Credentials) InsecureTLS() bool {
	return c.AcceptAutoSigned == nil || bool(*c.AcceptAutoSigned)
}

// ParseCredentials reads a credentials file's content; name gives its syntax.
// Unknown keys are returned as warnings.
func ParseCredentials(name string, data []byte) (*Credentials, []string, error) {
	f, err := FormatOf(name)
	if err != nil {
		return nil, nil, err
	}
	var c Credentials
	unknown, err := decode(data, f, &c)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	var warns []string
	for _, k := range unknown {
		warns = append(warns, fmt.Sprintf("%s: unknown key %q ignored", name, k))
	}
	if c.Password != "" && (c.PublicKey != "" || c.SecretKey != "") {
		return nil, nil, fmt.Errorf("%s: password and publickey/secretkey are mutually exclusive", name)
	}
	if (c.PublicKey == "") != (c.SecretKey == "") {
		return nil, nil, fmt.Errorf("%s: publickey and secretkey go together", name)
	}
	c.URL = String(strings.TrimSpace(string(c.URL)))
	return &c, warns, nil
}

// LoadCredentials reads and parses a credentials file.
func LoadCredentials(name string) (*Credentials, []string, error) {
	if _, err := FormatOf(name); err != nil {
		return nil, nil, err
	}
	data, err := Read(context.Background(), name)
	if err != nil {
		return nil, nil, fmt.Errorf("credentials file: %w", err)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, nil, errors.New(name + ": empty credentials file")
	}
	return ParseCredentials(name, data)
}
