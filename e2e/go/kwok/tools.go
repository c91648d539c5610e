//go:build tools

// Package tools pins the kwok command that e2e/tools.sh builds with `go build`.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
