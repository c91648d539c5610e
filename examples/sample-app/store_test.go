package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStoreSurvivesRestartAndCleansTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, data := range []string{`{"a":1}`, `"two"`} {
		if _, err := s.Add([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Add([]byte(`{broken`)); err == nil {
		t.Fatal("invalid JSON was stored")
	}
	// a crash between create and rename leaves a temporary file: it is no record, and goes away
	if err := os.WriteFile(filepath.Join(dir, ".tmp-123"), []byte(`{"half":`), 0o644); err != nil {
		t.Fatal(err)
	}

	again, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".tmp-123")); !os.IsNotExist(err) {
		t.Fatalf("temporary file left: %v", err)
	}
	rec, err := again.Add([]byte(`3`))
	if err != nil || rec.ID != 3 {
		t.Fatalf("id after restart: %+v %v", rec, err)
	}
	records, err := again.List()
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, r := range records {
		got += string(r.Data) + ";"
	}
	if len(records) != 3 || got != `{"a":1};"two";3;` || records[2].ID != 3 {
		t.Fatalf("records: %s", got)
	}
	if err := again.Writable(); err != nil {
		t.Fatal(err)
	}
}

func TestStoreReportsAnUnwritableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		// root writes anywhere: use a directory that is gone instead
		s := &Store{dir: filepath.Join(t.TempDir(), "gone"), next: 1}
		if s.Writable() == nil {
			t.Fatal("a missing directory counted as writable")
		}
		return
	}
	dir := t.TempDir()
	s, _ := OpenStore(dir)
	_ = os.Chmod(dir, 0o500)
	defer os.Chmod(dir, 0o700)
	if s.Writable() == nil {
		t.Fatal("a read-only directory counted as writable")
	}
}
