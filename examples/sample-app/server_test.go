package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(values map[string]string) func(string) string {
	return func(k string) string { return values[k] }
}

func start(t *testing.T, values map[string]string) (*httptest.Server, *Server) {
	t.Helper()
	s, err := NewServer(ConfigFromEnv(env(values), "linked"))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, s
}

func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(data))
}

func TestHealthVersionReadiness(t *testing.T) {
	ts, s := start(t, map[string]string{})
	if code, body := do(t, "GET", ts.URL+"/healthz", ""); code != 200 || body != "ok" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	if code, body := do(t, "GET", ts.URL+"/version", ""); code != 200 || body != "linked" {
		t.Fatalf("version from the link: %d %q", code, body)
	}
	if code, _ := do(t, "GET", ts.URL+"/readyz", ""); code != 200 {
		t.Fatalf("readyz: %d", code)
	}
	s.Stopping()
	if code, body := do(t, "GET", ts.URL+"/readyz", ""); code != 503 || body != "stopping" {
		t.Fatalf("readyz while stopping: %d %q", code, body)
	}

	ts2, _ := start(t, map[string]string{"VERSION": "2.0.0", "FAIL_READINESS": "1"})
	if _, body := do(t, "GET", ts2.URL+"/version", ""); body != "2.0.0" {
		t.Fatalf("VERSION: %q", body)
	}
	if code, body := do(t, "GET", ts2.URL+"/readyz", ""); code != 503 || !strings.Contains(body, "FAIL_READINESS") {
		t.Fatalf("FAIL_READINESS: %d %q", code, body)
	}
	if code, _ := do(t, "GET", ts2.URL+"/healthz", ""); code != 200 {
		t.Fatalf("healthz stays ok when not ready: %d", code)
	}

	flag := filepath.Join(t.TempDir(), "fail")
	ts3, _ := start(t, map[string]string{"READINESS_FAIL_FILE": flag})
	if code, _ := do(t, "GET", ts3.URL+"/readyz", ""); code != 200 {
		t.Fatalf("no file: %d", code)
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _ := do(t, "GET", ts3.URL+"/readyz", ""); code != 503 {
		t.Fatalf("file present: %d", code)
	}
}

func TestChainAndRecordsThroughUpstreams(t *testing.T) {
	dir := t.TempDir()
	db, _ := start(t, map[string]string{"ROLE": "db", "VERSION": "1.0.0", "DATA_DIR": dir})
	api, _ := start(t, map[string]string{"ROLE": "api", "VERSION": "1.0.0", "UPSTREAM": db.URL + "/"})
	web, _ := start(t, map[string]string{"ROLE": "web", "VERSION": "2.0.0", "UPSTREAM": api.URL})

	code, body := do(t, "GET", web.URL+"/", "")
	var hop Hop
	if err := json.Unmarshal([]byte(body), &hop); err != nil || code != 200 {
		t.Fatalf("chain: %d %s", code, body)
	}
	if hop.Role != "web" || hop.Version != "2.0.0" || hop.Upstream.Role != "api" || hop.Upstream.Upstream.Role != "db" ||
		hop.Upstream.Upstream.Upstream != nil {
		t.Fatalf("chain: %s", body)
	}

	for _, rec := range []string{`{"order":1}`, `{"order":2}`} {
		if code, body := do(t, "POST", web.URL+"/records", rec); code != 201 {
			t.Fatalf("post through web: %d %s", code, body)
		}
	}
	if code, _ := do(t, "POST", web.URL+"/records", "not json"); code != 400 {
		t.Fatalf("bad record: %d", code)
	}
	code, body = do(t, "GET", api.URL+"/records", "")
	if code != 200 || body != `[{"id":1,"data":{"order":1}},{"id":2,"data":{"order":2}}]` {
		t.Fatalf("records through api: %d %s", code, body)
	}
	if files, _ := os.ReadDir(dir); len(files) != 2 {
		t.Fatalf("%d files in the data dir", len(files))
	}
}

func TestChainReportsABrokenUpstream(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL
	down.Close()
	web, _ := start(t, map[string]string{"UPSTREAM": url})
	code, body := do(t, "GET", web.URL+"/", "")
	if code != 502 || !strings.Contains(body, "upstream") {
		t.Fatalf("broken upstream: %d %s", code, body)
	}
	if code, _ := do(t, "GET", web.URL+"/records", ""); code != 502 {
		t.Fatalf("records with a broken upstream: %d", code)
	}
	lonely, _ := start(t, map[string]string{})
	if code, _ := do(t, "GET", lonely.URL+"/records", ""); code != 404 {
		t.Fatalf("records without store or upstream: %d", code)
	}
}

func TestUpstreamFromInjectedDependencyAddress(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"UPSTREAM": "http://x:1/"}, "http://x:1"},
		{map[string]string{"UPSTREAM_NAME": "db", "DB_HOST": "shop-db.shop.svc", "DB_PORT": "5432"}, "http://shop-db.shop.svc:5432"},
		{map[string]string{"UPSTREAM_NAME": "order-api", "ORDER_API_HOST": "oa"}, "http://oa"},
		{map[string]string{"UPSTREAM_NAME": "db"}, ""},
		{map[string]string{}, ""},
	}
	for _, c := range cases {
		if got := ConfigFromEnv(env(c.env), "v").Upstream; got != c.want {
			t.Errorf("%v: upstream %q, want %q", c.env, got, c.want)
		}
	}
}
