//go:build tools

// Package tools pins the helm command that e2e/tools-helm.sh builds with `go build`.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
