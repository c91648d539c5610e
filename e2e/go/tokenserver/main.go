// Command tokenserver is a small Docker registry token service for e2e tests
// (e2e/registry.sh up --token POLICY.json): it implements the token
// authentication spec that distribution's `auth: token` expects.
//
//	GET /token?service=S&scope=repository:NAME:pull,push&scope=...
//	Authorization: Basic ... (optional; anonymous requests get no access)
//	→ {"token": JWT, "access_token": JWT, "expires_in": N, "issued_at": RFC3339}
//
// The JWT (ES256) grants the intersection of the scopes asked for and the
// user's rules in the policy file (see policy.go). Its header carries the
// signing key's certificate in x5c, which the registry verifies against its
// rootcertbundle. Wrong credentials get a 401. Log lines name the user and the
// requested and granted scopes; never a password or a token.
package main

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"
)

type Server struct {
	Policy  *Policy
	Key     *ecdsa.PrivateKey
	CertDER []byte
	Issuer  string
	Service string
	TTL     time.Duration
	Now     func() time.Time
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/token" || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	if s.Service != "" && q.Get("service") != s.Service {
		writeJSON(w, http.StatusBadRequest, map[string]string{"details": "unknown service"})
		return
	}
	var requested []Scope
	for _, param := range q["scope"] {
		for _, field := range strings.Fields(param) {
			scope, ok := ParseScope(field)
			if !ok {
				writeJSON(w, http.StatusBadRequest, map[string]string{"details": "malformed scope " + field})
				return
			}
			requested = append(requested, scope)
		}
	}
	account, password, basic := r.BasicAuth()
	var user *User
	if basic {
		var ok bool
		if user, ok = s.Policy.Authenticate(account, password); !ok {
			log.Printf("user=%q denied: wrong user name or password", account)
			w.Header().Set("WWW-Authenticate", `Basic realm="ferry-e2e-token"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"details": "authentication failed"})
			return
		}
	} else if r.Header.Get("Authorization") != "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"details": "only Basic credentials are accepted"})
		return
	}
	granted := Grant(user, requested)
	who := account
	if !basic {
		who = "(anonymous)"
	}
	now := s.Now()
	token, err := s.sign(account, granted, now)
	if err != nil {
		log.Printf("user=%q: signing failed: %v", who, err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"details": "signing failed"})
		return
	}
	log.Printf("user=%q requested=%v granted=%v", who, requested, granted)
	writeJSON(w, http.StatusOK, map[string]any{
		"token":        token,
		"access_token": token,
		"expires_in":   int(s.TTL.Seconds()),
		"issued_at":    now.UTC().Format(time.RFC3339),
	})
}

// sign makes the ES256 JWT: header with x5c, the registry's claims, and the
// signature as r||s (32 bytes each), as JWS wants it.
func (s *Server) sign(subject string, access []Scope, now time.Time) (string, error) {
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	header, err := json.Marshal(map[string]any{
		"typ": "JWT", "alg": "ES256", "x5c": []string{base64.StdEncoding.EncodeToString(s.CertDER)},
	})
	if err != nil {
		return "", err
	}
	claims, err := json.Marshal(map[string]any{
		"iss": s.Issuer, "sub": subject, "aud": s.Service,
		"exp": now.Add(s.TTL).Unix(), "nbf": now.Add(-10 * time.Second).Unix(), "iat": now.Unix(),
		"jti": hex.EncodeToString(jti), "access": access,
	})
	if err != nil {
		return "", err
	}
	b64 := base64.RawURLEncoding.EncodeToString
	input := b64(header) + "." + b64(claims)
	digest := sha256.Sum256([]byte(input))
	r, sig, err := ecdsa.Sign(rand.Reader, s.Key, digest[:])
	if err != nil {
		return "", err
	}
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	sig.FillBytes(raw[32:])
	return input + "." + b64(raw), nil
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// loadKeyPair reads a P-256 private key (PKCS#8 or SEC 1 PEM) and the
// certificate of its public key (PEM).
func loadKeyPair(keyFile, certFile string) (*ecdsa.PrivateKey, []byte, error) {
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, err
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, nil, fmt.Errorf("%s: no PEM block", keyFile)
	}
	var key *ecdsa.PrivateKey
	if parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		key, _ = parsed.(*ecdsa.PrivateKey)
	} else if key, err = x509.ParseECPrivateKey(block.Bytes); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	if key == nil || key.Curve.Params().Name != "P-256" {
		return nil, nil, fmt.Errorf("%s: not a P-256 ECDSA key (ES256 needs one)", keyFile)
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, err
	}
	if block, _ = pem.Decode(certPEM); block == nil {
		return nil, nil, fmt.Errorf("%s: no PEM block", certFile)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", certFile, err)
	}
	if pub, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		return nil, nil, errors.New(certFile + " does not certify the key in " + keyFile)
	}
	return key, block.Bytes, nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:5001", "listen address")
	policyFile := flag.String("policy", "", "policy JSON file (users, passwords, access rules)")
	keyFile := flag.String("key", "", "P-256 signing key (PEM)")
	certFile := flag.String("cert", "", "certificate of the signing key (PEM; the registry's rootcertbundle)")
	issuer := flag.String("issuer", "ferry-e2e-token", "token issuer (the registry's auth.token.issuer)")
	service := flag.String("service", "ferry-e2e-registry", "service name (the registry's auth.token.service)")
	ttl := flag.Duration("ttl", 5*time.Minute, "token lifetime")
	flag.Parse()
	log.SetPrefix("[tokenserver] ")
	if *policyFile == "" || *keyFile == "" || *certFile == "" {
		log.Fatal("-policy, -key and -cert are required")
	}
	policy, err := LoadPolicy(*policyFile)
	if err != nil {
		log.Fatal(err)
	}
	key, certDER, err := loadKeyPair(*keyFile, *certFile)
	if err != nil {
		log.Fatal(err)
	}
	server := &Server{Policy: policy, Key: key, CertDER: certDER, Issuer: *issuer, Service: *service, TTL: *ttl, Now: time.Now}
	log.Printf("listening on %s (service %q, issuer %q, %d users)", *addr, *service, *issuer, len(policy.Users))
	log.Fatal(http.ListenAndServe(*addr, server))
}
