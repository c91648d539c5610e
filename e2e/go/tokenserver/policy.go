package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
)

// Policy is the token server's JSON policy file:
//
//	{"users": {"reader": {"password": "...", "access": [
//	    {"type": "repository", "name": "market/**", "actions": ["pull"]},
//	    {"type": "registry", "name": "catalog", "actions": ["*"]}]}}}
//
// A rule's type defaults to "repository". Its name is a glob over
// "/"-separated segments: "*" and the other path.Match patterns stay within a
// segment, a "**" segment stands for one or more segments ("market/shop/**"
// matches market/shop/x and market/shop/x/y, not market/shop). A user gets the
// union of the actions of every rule that matches; "*" in a rule allows every
// action. Anonymous requests match no user and get no access.
type Policy struct {
	Users map[string]User `json:"users"`
}

type User struct {
	Password string `json:"password"`
	Access   []Rule `json:"access"`
}

type Rule struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// Scope is one requested or granted resource: type:name:action,action.
type Scope struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

func (s Scope) String() string {
	return s.Type + ":" + s.Name + ":" + strings.Join(s.Actions, ",")
}

func LoadPolicy(file string) (*Policy, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var p Policy
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for name, u := range p.Users {
		if u.Password == "" {
			return nil, fmt.Errorf("%s: user %q has no password", file, name)
		}
		for i, r := range u.Access {
			if r.Type == "" {
				u.Access[i].Type = "repository"
			}
			if _, err := path.Match(r.Name, ""); err != nil || r.Name == "" || len(r.Actions) == 0 {
				return nil, fmt.Errorf("%s: user %q: rule %d needs a valid name glob and actions", file, name, i)
			}
		}
	}
	return &p, nil
}

// Authenticate returns the user when the password is right. Both sides are
// hashed first so that the comparison takes the same time whatever they are;
// an unknown user costs the same as a wrong password.
func (p *Policy) Authenticate(name, password string) (*User, bool) {
	u, known := p.Users[name]
	want := sha256.Sum256([]byte(u.Password))
	got := sha256.Sum256([]byte(password))
	if subtle.ConstantTimeCompare(want[:], got[:]) != 1 || !known {
		return nil, false
	}
	return &u, true
}

// ParseScope parses "repository:market/shop:pull,push". The name may itself
// hold colons (a type's class, "repository(plugin)", stays in the type).
func ParseScope(s string) (Scope, bool) {
	first, last := strings.Index(s, ":"), strings.LastIndex(s, ":")
	if first <= 0 || last == first || last == len(s)-1 {
		return Scope{}, false
	}
	return Scope{Type: s[:first], Name: s[first+1 : last], Actions: strings.Split(s[last+1:], ",")}, true
}

// MatchName matches a repository name against a rule's glob (see Policy).
func MatchName(pattern, name string) bool {
	return matchSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchSegments(pattern, name []string) bool {
	if len(pattern) == 0 {
		return len(name) == 0
	}
	if pattern[0] == "**" {
		for i := 1; i <= len(name); i++ {
			if matchSegments(pattern[1:], name[i:]) {
				return true
			}
		}
		return false
	}
	if len(name) == 0 {
		return false
	}
	ok, err := path.Match(pattern[0], name[0])
	return err == nil && ok && matchSegments(pattern[1:], name[1:])
}

// Grant is the intersection of what was asked and what the user's rules allow:
// one scope per requested scope that keeps at least one action, the actions in
// the order asked. A nil user (anonymous) gets nothing.
func Grant(u *User, requested []Scope) []Scope {
	granted := []Scope{}
	if u == nil {
		return granted
	}
	for _, want := range requested {
		allowed := map[string]bool{}
		for _, r := range u.Access {
			if r.Type == want.Type && MatchName(r.Name, want.Name) {
				for _, a := range r.Actions {
					allowed[a] = true
				}
			}
		}
		var actions []string
		for _, a := range want.Actions {
			if (allowed[a] || allowed["*"]) && !slices.Contains(actions, a) {
				actions = append(actions, a)
			}
		}
		if len(actions) > 0 {
			granted = append(granted, Scope{Type: want.Type, Name: want.Name, Actions: actions})
		}
	}
	return granted
}
