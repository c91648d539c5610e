//go:build tools

// Package tools pins the node binaries that `e2e/tools.sh node` builds with
// `go build`: kubelet and kube-proxy, from the same k8s.io/kubernetes version as
// the control plane in ../kube (tools.sh checks that the versions match).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
