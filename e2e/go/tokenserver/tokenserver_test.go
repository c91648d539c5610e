package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

var policy = &Policy{Users: map[string]User{
	"reader": {Password: "r", Access: []Rule{{"repository", "market/**", []string{"pull"}}}},
	"shop-publisher": {Password: "s", Access: []Rule{
		{"repository", "market/**", []string{"pull"}},
		{"repository", "market/shop", []string{"push"}},
		{"repository", "market/shop/**", []string{"push"}},
	}},
	"admin": {Password: "a", Access: []Rule{
		{"repository", "**", []string{"*"}},
		{"registry", "catalog", []string{"*"}},
	}},
}}

func TestMatchName(t *testing.T) {
	for _, c := range []struct {
		pattern, name string
		want          bool
	}{
		{"market/shop", "market/shop", true},
		{"market/shop", "market/shop/x", false},
		{"market/shop", "market/shopping", false},
		{"market/*", "market/shop", true},
		{"market/*", "market/shop/x", false},
		{"market/*", "market", false},
		{"market/**", "market/shop/images/x", true},
		{"market/**", "market", false},
		{"market/**", "marketing/x", false},
		{"market/shop/**", "market/shop", false},
		{"market/shop/**", "market/shop/images/x", true},
		{"market/**/x", "market/a/b/x", true},
		{"market/**/x", "market/x", false},
		{"**", "anything/at/all", true},
		{"shop-?", "shop-1", true},
	} {
		if got := MatchName(c.pattern, c.name); got != c.want {
			t.Errorf("MatchName(%q, %q) = %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
}

func scopes(t *testing.T, s ...string) []Scope {
	t.Helper()
	out := []Scope{}
	for _, x := range s {
		scope, ok := ParseScope(x)
		if !ok {
			t.Fatalf("ParseScope(%q) failed", x)
		}
		out = append(out, scope)
	}
	return out
}

func TestGrantIsTheIntersection(t *testing.T) {
	for _, c := range []struct {
		user      string
		requested []string
		want      []string
	}{
		{"reader", []string{"repository:market/shop:pull,push"}, []string{"repository:market/shop:pull"}},
		{"reader", []string{"repository:other/x:pull"}, []string{}},
		{"shop-publisher", []string{"repository:market/shop:pull,push"}, []string{"repository:market/shop:pull,push"}},
		{"shop-publisher", []string{"repository:market/shop/images/x:push,pull"}, []string{"repository:market/shop/images/x:push,pull"}},
		{"shop-publisher", []string{"repository:market/other:pull,push", "repository:market/shop:pull"},
			[]string{"repository:market/other:pull", "repository:market/shop:pull"}},
		{"shop-publisher", []string{"repository:market/shop:delete"}, []string{}},
		{"shop-publisher", []string{"registry:catalog:*"}, []string{}},
		{"admin", []string{"repository:x/y:pull,push,delete", "registry:catalog:*"},
			[]string{"repository:x/y:pull,push,delete", "registry:catalog:*"}},
		{"", []string{"repository:market/shop:pull"}, []string{}},
	} {
		var user *User
		if u, ok := policy.Users[c.user]; ok {
			user = &u
		}
		got := []string{}
		for _, s := range Grant(user, scopes(t, c.requested...)) {
			got = append(got, s.String())
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s asking %v: granted %v, want %v", c.user, c.requested, got, c.want)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	if _, ok := policy.Authenticate("reader", "r"); !ok {
		t.Error("right password refused")
	}
	for _, pair := range [][2]string{{"reader", "s"}, {"reader", ""}, {"nobody", "r"}, {"nobody", ""}} {
		if _, ok := policy.Authenticate(pair[0], pair[1]); ok {
			t.Errorf("%q/%q accepted", pair[0], pair[1])
		}
	}
}

func TestTokenEndpoint(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	template := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	server := httptest.NewServer(&Server{Policy: policy, Key: key, CertDER: der, Issuer: "iss",
		Service: "svc", TTL: time.Minute, Now: time.Now})
	defer server.Close()
	get := func(user, password string, query string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest("GET", server.URL+"/token?"+query, nil)
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		return res, body
	}

	res, body := get("shop-publisher", "s", "service=svc&scope=repository:market/other:pull,push")
	if res.StatusCode != 200 || body["token"] != body["access_token"] || body["expires_in"] != 60.0 {
		t.Fatalf("answer %d %v", res.StatusCode, body)
	}
	type header struct {
		Alg string   `json:"alg"`
		X5c []string `json:"x5c"`
	}
	type claims struct {
		Iss, Sub, Aud string
		Access        []Scope
	}
	decode := func(token string) (h header, c claims, parts []string) {
		parts = strings.Split(token, ".")
		for i, v := range []any{&h, &c} {
			b, err := base64.RawURLEncoding.DecodeString(parts[i])
			if err != nil || json.Unmarshal(b, v) != nil {
				t.Fatalf("token part %d: %q", i, parts[i])
			}
		}
		return
	}
	h, c, parts := decode(body["token"].(string))
	if h.Alg != "ES256" || h.X5c[0] != base64.StdEncoding.EncodeToString(der) {
		t.Errorf("header %+v", h)
	}
	want := []Scope{{"repository", "market/other", []string{"pull"}}}
	if c.Iss != "iss" || c.Sub != "shop-publisher" || c.Aud != "svc" || !reflect.DeepEqual(c.Access, want) {
		t.Errorf("claims %+v", c)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if !ecdsa.Verify(&key.PublicKey, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Error("signature does not verify")
	}

	if res, _ := get("shop-publisher", "wrong", "service=svc&scope=repository:market/shop:pull"); res.StatusCode != 401 {
		t.Errorf("wrong password: %d", res.StatusCode)
	}
	if res, _ := get("admin", "a", "service=other"); res.StatusCode != 400 {
		t.Errorf("other service: %d", res.StatusCode)
	}
	res, body = get("", "", "service=svc&scope=repository:market/shop:pull")
	if _, c, _ = decode(body["token"].(string)); res.StatusCode != 200 || len(c.Access) != 0 {
		t.Errorf("anonymous: %d %v", res.StatusCode, c.Access)
	}
}
