//go:build tools

// Package tools pins the etcd server command (package main of
// go.etcd.io/etcd/server/v3) that e2e/tools.sh builds with `go build`.
package tools

import _ "go.etcd.io/etcd/server/v3"
