package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Record is one stored record: an id given by the store and the JSON the client sent.
type Record struct {
	ID   int64           `json:"id"`
	Data json.RawMessage `json:"data"`
}

// Store keeps records as one file each in a directory (the db's volume). A record is written to
// a temporary file, fsynced, renamed into place and the directory fsynced: after a crash or a
// restart a record is either there whole or not at all, and ids keep counting from the highest.
type Store struct {
	dir  string
	mu   sync.Mutex
	next int64
}

const recordSuffix = ".json"

// OpenStore creates the directory if needed, removes temporary files a crash left behind and
// finds the next id.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: dir, next: 1}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".tmp-") {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return nil, err
			}
			continue
		}
		if id, ok := recordID(name); ok && id >= s.next {
			s.next = id + 1
		}
	}
	return s, nil
}

func recordID(name string) (int64, bool) {
	if !strings.HasSuffix(name, recordSuffix) {
		return 0, false
	}
	id, err := strconv.ParseInt(strings.TrimSuffix(name, recordSuffix), 10, 64)
	return id, err == nil && id > 0
}

func recordName(id int64) string { return fmt.Sprintf("%012d%s", id, recordSuffix) }

// Add stores data (valid JSON) durably and returns its record.
func (s *Store) Add(data []byte) (Record, error) {
	if !json.Valid(data) {
		return Record{}, errors.New("record is not valid JSON")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := Record{ID: s.next, Data: json.RawMessage(data)}
	tmp, err := os.CreateTemp(s.dir, ".tmp-")
	if err != nil {
		return Record{}, err
	}
	cleanup := func(err error) (Record, error) {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return Record{}, err
	}
	if _, err := tmp.Write(data); err != nil {
		return cleanup(err)
	}
	if err := tmp.Sync(); err != nil {
		return cleanup(err)
	}
	if err := tmp.Close(); err != nil {
		return cleanup(err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.dir, recordName(rec.ID))); err != nil {
		return cleanup(err)
	}
	if err := syncDir(s.dir); err != nil {
		return Record{}, err
	}
	s.next++
	return rec, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// List returns every record, by id.
func (s *Store) List() ([]Record, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	records := []Record{}
	for _, e := range entries {
		id, ok := recordID(e.Name())
		if !ok {
			continue
		}
		data, err := os.ReadFile(filepath.Join(s.dir, e.Name()))
		if err != nil {
			return nil, err
		}
		records = append(records, Record{ID: id, Data: json.RawMessage(data)})
	}
	sort.Slice(records, func(i, j int) bool { return records[i].ID < records[j].ID })
	return records, nil
}

// Writable checks that a record could be written now (db readiness).
func (s *Store) Writable() error {
	f, err := os.CreateTemp(s.dir, ".tmp-probe-")
	if err != nil {
		return err
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}
