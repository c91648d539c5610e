package main

import (
	"strings"
	"testing"
)

func TestMigrate(t *testing.T) {
	env := map[string]string{"ROLE": "api", "MIGRATION_TARGET": "2.0.0"}
	var out strings.Builder
	if code := Migrate(func(k string) string { return env[k] }, "2.0.0", &out); code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	if !strings.Contains(out.String(), "schema to 2.0.0") || !strings.HasSuffix(out.String(), "migrate: done\n") {
		t.Fatalf("output %q", out.String())
	}
	env["MIGRATE_FAIL"] = "1"
	out.Reset()
	if code := Migrate(func(k string) string { return env[k] }, "2.0.0", &out); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
}
