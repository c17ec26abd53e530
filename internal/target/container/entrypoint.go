package container

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ParseEntrypoint reads UForge's image.entrypoint string. A JSON array is
// the exec form and is returned as is (`["/usr/sbin/httpd","-DFOREGROUND"]`);
// any other text is the shell form and runs through /bin/sh -c, as a
// Dockerfile ENTRYPOINT without brackets does; an empty string means no
// entrypoint. Text that starts like an array but is not a JSON array of
// strings is an error rather than a shell command: it is a typo, and
// running it through sh would hide it until the container starts.
func ParseEntrypoint(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if !strings.HasPrefix(s, "[") {
		return []string{"/bin/sh", "-c", s}, nil
	}
	var args []string
	if err := json.Unmarshal([]byte(s), &args); err != nil {
		return nil, fmt.Errorf("entrypoint %q is not a JSON array of strings (exec form): %w", s, err)
	}
	if len(args) == 0 {
		return nil, nil
	}
	for i, a := range args {
		if i == 0 && a == "" {
			return nil, fmt.Errorf("entrypoint %q: the program to run is empty", s)
		}
	}
	return args, nil
}
