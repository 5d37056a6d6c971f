// CoreDNS with only the plugins the local fleet's real node uses (its Corefile in
// e2e/fleet/realnode.ts: bind, errors, cache, template, kubernetes), built from CoreDNS's Go
// module the way CoreDNS documents compile-time plugin selection. The stock binary compiles
// every plugin, cloud SDKs included, which made its cold build the longest of the real
// node's tools. Test infrastructure, not product.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/template"
)

// In plugin.cfg's order: the order in which a query passes through the plugins.
var directives = []string{"bind", "errors", "cache", "template", "kubernetes"}

func init() { dnsserver.Directives = directives }

func main() { coremain.Run() }
