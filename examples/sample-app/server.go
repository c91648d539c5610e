package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Config is what the server reads from its environment.
type Config struct {
	Role          string // web, api, db, reports: shown in responses
	Version       string // VERSION, else the version linked into the binary
	Upstream      string // UPSTREAM, or from UPSTREAM_NAME: base URL of the next component (web → api → db)
	DataDir       string // DATA_DIR: store records here (the db role)
	FailReadiness bool   // FAIL_READINESS=1: /readyz always fails (a release that never gets ready)
	ReadinessFile string // READINESS_FAIL_FILE: /readyz fails while this file exists
	Hostname      string
}

// ConfigFromEnv reads the Config; `getenv` is os.Getenv outside tests.
func ConfigFromEnv(getenv func(string) string, linkedVersion string) Config {
	version := getenv("VERSION")
	if version == "" {
		version = linkedVersion
	}
	role := getenv("ROLE")
	if role == "" {
		role = "web"
	}
	host, _ := os.Hostname()
	return Config{
		Role:          role,
		Version:       version,
		Upstream:      upstream(getenv),
		DataDir:       getenv("DATA_DIR"),
		FailReadiness: getenv("FAIL_READINESS") == "1" || getenv("FAIL_READINESS") == "true",
		ReadinessFile: getenv("READINESS_FAIL_FILE"),
		Hostname:      host,
	}
}

// upstream is UPSTREAM when set; else, with UPSTREAM_NAME=db, the address Ferry injects for a
// dependency: http://$DB_HOST:$DB_PORT (the Service name in Kubernetes, the service in compose).
func upstream(getenv func(string) string) string {
	if url := getenv("UPSTREAM"); url != "" {
		return strings.TrimRight(url, "/")
	}
	name := getenv("UPSTREAM_NAME")
	if name == "" {
		return ""
	}
	key := strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(name))
	host := getenv(key + "_HOST")
	if host == "" {
		return ""
	}
	if port := getenv(key + "_PORT"); port != "" {
		return "http://" + host + ":" + port
	}
	return "http://" + host
}

// Server serves the sample app's endpoints.
type Server struct {
	cfg      Config
	store    *Store
	client   *http.Client
	stopping atomic.Bool
}

const maxRecord = 64 << 10

func NewServer(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, client: &http.Client{Timeout: 5 * time.Second}}
	if cfg.DataDir != "" {
		store, err := OpenStore(cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("record store in %s: %w", cfg.DataDir, err)
		}
		s.store = store
	}
	return s, nil
}

// Stopping makes /readyz fail from now on (SIGTERM: leave the Service before closing).
func (s *Server) Stopping() { s.stopping.Store(true) }

func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { text(w, http.StatusOK, "ok") })
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, _ *http.Request) { text(w, http.StatusOK, s.cfg.Version) })
	mux.HandleFunc("GET /records", s.listRecords)
	mux.HandleFunc("POST /records", s.addRecord)
	mux.HandleFunc("GET /{$}", s.chain)
	return mux
}

func text(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body+"\n")
}

func writeJSON(w http.ResponseWriter, status int, value any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(value)
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	switch {
	case s.stopping.Load():
		text(w, http.StatusServiceUnavailable, "stopping")
	case s.cfg.FailReadiness:
		text(w, http.StatusServiceUnavailable, "not ready: FAIL_READINESS is set")
	case s.cfg.ReadinessFile != "" && exists(s.cfg.ReadinessFile):
		text(w, http.StatusServiceUnavailable, "not ready: "+s.cfg.ReadinessFile+" exists")
	case s.store != nil && s.store.Writable() != nil:
		text(w, http.StatusServiceUnavailable, "not ready: cannot write to "+s.cfg.DataDir)
	default:
		text(w, http.StatusOK, "ready")
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Hop is one component's answer to `/`: itself and, when it has one, its upstream's answer.
type Hop struct {
	Role     string `json:"role"`
	Version  string `json:"version"`
	Host     string `json:"host"`
	Upstream *Hop   `json:"upstream,omitempty"`
	Error    string `json:"error,omitempty"`
}

func (s *Server) chain(w http.ResponseWriter, r *http.Request) {
	hop := Hop{Role: s.cfg.Role, Version: s.cfg.Version, Host: s.cfg.Hostname}
	status := http.StatusOK
	if s.cfg.Upstream != "" {
		var next Hop
		if err := s.call(r.Context(), http.MethodGet, "/", nil, &next); err != nil {
			hop.Error = err.Error()
			status = http.StatusBadGateway
		} else {
			hop.Upstream = &next
			if next.Error != "" {
				status = http.StatusBadGateway
			}
		}
	}
	writeJSON(w, status, hop)
}

// call sends a request to the upstream and decodes its JSON answer; non-2xx is an error.
func (s *Server) call(ctx context.Context, method, path string, body []byte, into any) error {
	req, err := http.NewRequestWithContext(ctx, method, s.cfg.Upstream+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("upstream %s: %w", s.cfg.Upstream, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("upstream %s: %w", s.cfg.Upstream, err)
	}
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("upstream %s answered %s: %s", s.cfg.Upstream, res.Status, strings.TrimSpace(string(data)))
	}
	if res.StatusCode/100 != 2 && path != "/" {
		return fmt.Errorf("upstream %s answered %s", s.cfg.Upstream, res.Status)
	}
	return nil
}

// Records live in the db (DATA_DIR); other roles pass them on to their upstream.
func (s *Server) listRecords(w http.ResponseWriter, r *http.Request) {
	switch {
	case s.store != nil:
		records, err := s.store.List()
		if err != nil {
			text(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, records)
	case s.cfg.Upstream != "":
		var records []Record
		if err := s.call(r.Context(), http.MethodGet, "/records", nil, &records); err != nil {
			text(w, http.StatusBadGateway, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, records)
	default:
		text(w, http.StatusNotFound, "no record store here (no DATA_DIR, no UPSTREAM)")
	}
}

func (s *Server) addRecord(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRecord))
	if err != nil {
		text(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	if !json.Valid(body) {
		text(w, http.StatusBadRequest, "a record is a JSON value")
		return
	}
	switch {
	case s.store != nil:
		record, err := s.store.Add(body)
		if err != nil {
			text(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, record)
	case s.cfg.Upstream != "":
		var record Record
		if err := s.call(r.Context(), http.MethodPost, "/records", body, &record); err != nil {
			text(w, http.StatusBadGateway, err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, record)
	default:
		text(w, http.StatusNotFound, "no record store here (no DATA_DIR, no UPSTREAM)")
	}
}
