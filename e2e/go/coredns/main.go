// Command coredns is CoreDNS with only the plugins the e2e real node needs
// (cluster DNS for Services; see e2e/cluster.sh). Built by `e2e/tools.sh node`.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	// The plugins listed in directives, registered by their init functions.
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

// directives: the subset of CoreDNS's plugin.cfg, in plugin.cfg's order (the
// order in which a query passes through the plugins).
var directives = []string{"ready", "health", "errors", "log", "cache", "kubernetes"}

func init() { dnsserver.Directives = directives }

func main() { coremain.Run() }
