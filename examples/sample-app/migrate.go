package main

import (
	"fmt"
	"io"
)

// Migrate is the sample's stand-in for a schema migration, run as `server migrate` by a Ferry hook
// Job: it prints what it would migrate and exits 0, or 1 when MIGRATE_FAIL=1 (so tests can make a
// hook fail on a real node).
func Migrate(getenv func(string) string, version string, out io.Writer) int {
	cfg := ConfigFromEnv(getenv, version)
	target := getenv("MIGRATION_TARGET")
	if target == "" {
		target = cfg.Version
	}
	fmt.Fprintf(out, "migrate: %s %s, schema to %s (upstream %q)\n", cfg.Role, cfg.Version, target, cfg.Upstream)
	if fail := getenv("MIGRATE_FAIL"); fail == "1" || fail == "true" {
		fmt.Fprintln(out, "migrate: failed on purpose (MIGRATE_FAIL=1)")
		return 1
	}
	fmt.Fprintln(out, "migrate: done")
	return 0
}
