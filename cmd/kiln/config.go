package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// loadSettings completes the flags of cmd (kiln serve, worker or build) that the
// command line left unset: from KILN_<FLAG> variables first, then from the YAML
// file named by --config (or KILN_CONFIG), whose keys are flag names:
//
//	listen: 127.0.0.1:9090
//	cache-max-gb: 40
//
// So a command-line flag wins over its variable, which wins over the file,
// which wins over the default.
func loadSettings(cmd *cobra.Command) error {
	if err := bindEnv(cmd); err != nil {
		return err
	}
	if path := cmd.Flags().Lookup("config").Value.String(); path != "" {
		return applyConfig(cmd, path)
	}
	return nil
}

// notInConfig are flags a config file cannot set.
var notInConfig = map[string]bool{"config": true, "help": true}

// configKeys are the keys a config file may hold: the flags of kiln serve,
// worker and build, so that one file can serve them all.
func configKeys() map[string]bool {
	keys := map[string]bool{}
	for _, c := range []*cobra.Command{newServeCmd(), newWorkerCmd(), newBuildCmd()} {
		c.Flags().VisitAll(func(f *pflag.Flag) { keys[f.Name] = true })
	}
	return keys
}

// applyConfig sets, from the config file at path, the flags of cmd not set yet.
// A key that is no flag of kiln serve, worker or build is an error that names
// it; cmd passes over the keys of the other two's flags that it lacks.
func applyConfig(cmd *cobra.Command, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // empty
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return fmt.Errorf("config %s:%d: want flag names and their values (cache-max-gb: 40)", path, m.Line)
	}
	flags, known := cmd.Flags(), configKeys()
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		switch {
		case notInConfig[k.Value]:
			return fmt.Errorf("config %s:%d: key %q: --%s cannot be set in a config file", path, k.Line, k.Value, k.Value)
		case !known[k.Value]:
			return fmt.Errorf("config %s:%d: unknown key %q: not a flag of kiln serve, worker or build", path, k.Line, k.Value)
		case seen[k.Value]:
			return fmt.Errorf("config %s:%d: key %q given twice", path, k.Line, k.Value)
		case v.Kind != yaml.ScalarNode:
			return fmt.Errorf("config %s:%d: %s: want a single value", path, v.Line, k.Value)
		}
		seen[k.Value] = true
		if f := flags.Lookup(k.Value); f != nil && !f.Changed {
			if err := flags.Set(f.Name, v.Value); err != nil {
				return fmt.Errorf("config %s:%d: %s: %w", path, v.Line, k.Value, err)
			}
		}
	}
	return nil
}
