#!/usr/bin/env bash
# Builds the Go test tools of the local fleet into a cache outside the repo, keyed by version:
#   $SPILLWAY_CACHE/bin/<tool>-<version>/<binary>
# A warm cache is a no-op. Prints progress: a cold build takes minutes on 2 cores.
# None of this ships in the product; it is test and demo infrastructure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools.env
source "$here/tools.env"
cache=${SPILLWAY_CACHE:-$HOME/.cache/spillway}
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
mkdir -p "$cache/bin"

log() { printf '[build-tools %(%H:%M:%S)T] %s\n' -1 "$*"; }

# with_lock NAME FUNC: one build of a tool at a time across processes (CI builds some tools in
# the background while a test run asks for them; the second waits, then finds them cached).
with_lock() {
  local fd
  exec {fd}>"$cache/bin/.lock-$1"
  flock "$fd"
  "$2"
  exec {fd}>&-
}

have() { # have DIR BIN...: true when every binary is already built
  local dir=$1; shift
  for b in "$@"; do [ -x "$dir/$b" ] || return 1; done
}

build_kube() {
  local out="$cache/bin/kube-$KUBE_VERSION"
  local bins=(kube-apiserver kube-controller-manager kube-scheduler etcd)
  if have "$out" "${bins[@]}"; then log "kube $KUBE_VERSION: cached in $out"; return; fi
  local mod="$cache/src/kube-$KUBE_VERSION"
  mkdir -p "$mod" "$out.tmp"
  log "kube $KUBE_VERSION: resolving modules (k8s.io/kubernetes needs replace lines for its staging modules)"
  local gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  local staging="v0${KUBE_VERSION#v1}"
  {
    echo "module spillway.local/fleet-tools"
    echo "go 1.24.0"
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    grep -E '=> \./staging/src/' "$gomod" | awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}'
  } >"$mod/go.mod"
  local minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  local ld="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  # One go build for all four: each binary's link and last packages overlap with compiling the
  # others, instead of running on one core while the other waits (the build cache already
  # compiles shared packages once either way).
  log "kube $KUBE_VERSION: building ${bins[*]} (etcd as pinned by kubernetes, same module graph)"
  (cd "$mod" && go build -trimpath -ldflags "$ld" -o "$out.tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler go.etcd.io/etcd/server/v3)
  # go names the binary of a /v3 module path after the element before it.
  mv "$out.tmp/server" "$out.tmp/etcd"
  rm -rf "$out"; mv "$out.tmp" "$out"
  log "kube $KUBE_VERSION: done"
}

# kubelet, kube-proxy and kubectl (the hub chart's bootstrap image) for the fleet's real node, from the same module graph as build_kube
# (its go.mod), in a directory of their own so the default tools' cache key is unchanged.
build_node() {
  local out="$cache/bin/kube-node-$KUBE_VERSION"
  if have "$out" kubelet kube-proxy kubectl; then log "kube-node $KUBE_VERSION: cached in $out"; return; fi
  with_lock kube build_kube
  local mod="$cache/src/kube-$KUBE_VERSION"
  local minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  local ld="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  mkdir -p "$out.tmp"
  log "kube-node $KUBE_VERSION: building kubelet kube-proxy kubectl (one go build; packages shared with kube are cached)"
  (cd "$mod" && go build -trimpath -ldflags "$ld" -o "$out.tmp/" \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubectl)
  rm -rf "$out"; mv "$out.tmp" "$out"
  log "kube-node $KUBE_VERSION: done"
}

# The pod sandbox image's only binary (hack/pause/main.go), keyed by its source's hash.
build_pause() {
  local sum; sum=$(sha256sum "$here/pause/main.go" | cut -c1-12)
  local out="$cache/bin/pause-$sum"
  if have "$out" pause; then log "pause: cached in $out"; return; fi
  mkdir -p "$out.tmp"
  (cd "$here/pause" && GOFLAGS= go build -trimpath -ldflags "-s -w" -o "$out.tmp/pause" main.go)
  rm -rf "$out"; mv "$out.tmp" "$out"
  log "pause: built in $out"
}

# CoreDNS of COREDNS_VERSION with only the plugins the real node's Corefile uses
# (hack/coredns/main.go), keyed by the version and that file's hash.
build_coredns() {
  local sum; sum=$(sha256sum "$here/coredns/main.go" | cut -c1-12)
  local out="$cache/bin/coredns-$COREDNS_VERSION-$sum"
  if have "$out" coredns; then log "coredns $COREDNS_VERSION: cached in $out"; return; fi
  local mod="$cache/src/coredns-$COREDNS_VERSION-$sum"
  log "coredns $COREDNS_VERSION: building (bind, errors, cache, template, kubernetes)"
  mkdir -p "$mod" "$out.tmp"
  cp "$here/coredns/main.go" "$mod/main.go"
  printf 'module spillway.local/coredns\n\ngo 1.24.0\n\nrequire github.com/coredns/coredns %s\n' "$COREDNS_VERSION" >"$mod/go.mod"
  (cd "$mod" && go build -trimpath -ldflags "-s -w" -o "$out.tmp/coredns" .)
  rm -rf "$out"; mv "$out.tmp" "$out"
  log "coredns $COREDNS_VERSION: done"
}

build_simple() { # build_simple NAME VERSION PACKAGE BINARY
  local name=$1 version=$2 pkg=$3 bin=$4
  local out="$cache/bin/$name-$version"
  if have "$out" "$bin"; then log "$name $version: cached in $out"; return; fi
  log "$name $version: building"
  mkdir -p "$out.tmp"
  GOBIN="$out.tmp" GOFLAGS= go install -trimpath -ldflags "-s -w" "$pkg@$version"
  rm -rf "$out"; mv "$out.tmp" "$out"
  log "$name $version: done"
}

# Karmada's controller-manager, scheduler and webhook from a Karmada checkout (KARMADA_SRC), for
# bench/karmada-side-by-side.bench.ts only: never in the default set, `make test` or CI. Karmada
# vendors its dependencies, so this needs no network. Keyed by KARMADA_VERSION, else the
# checkout's exact tag, else a vX.Y.Z in the checkout's directory name.
karmada_version() {
  local src=$1
  if [ -n "${KARMADA_VERSION:-}" ]; then echo "$KARMADA_VERSION"; return; fi
  git -C "$src" describe --tags --exact-match 2>/dev/null && return
  [[ $(basename "$src") =~ (v[0-9]+\.[0-9]+\.[0-9]+[-.a-z0-9]*) ]] && { echo "${BASH_REMATCH[1]}"; return; }
  return 1
}
build_karmada() {
  local src=${KARMADA_SRC:-}
  if [ -z "$src" ] || [ ! -f "$src/go.mod" ] || [ ! -d "$src/vendor" ]; then
    echo "karmada: KARMADA_SRC must name a Karmada checkout with its vendor/ directory (got '${src}')" >&2
    exit 2
  fi
  local version
  version=$(karmada_version "$src") || {
    echo "karmada: cannot tell the version of $src: set KARMADA_VERSION (e.g. v1.18.2)" >&2
    exit 2
  }
  local out="$cache/bin/karmada-$version"
  local bins=(controller-manager scheduler webhook)
  if have "$out" "${bins[@]}"; then log "karmada $version: cached in $out"; return; fi
  mkdir -p "$out.tmp"
  local ld="-s -w -X github.com/karmada-io/karmada/pkg/version.gitVersion=$version"
  log "karmada $version: building ${bins[*]} from $src (vendored)"
  (cd "$src" && GOFLAGS=-mod=vendor go build -ldflags "$ld" -o "$out.tmp/" "${bins[@]/#/./cmd/}")
  rm -rf "$out"; mv "$out.tmp" "$out"
  log "karmada $version: done: $(du -sh "$out" | cut -f1) in $out"
}

build_kwok() { build_simple kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok kwok; }
build_helm() { build_simple helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm helm; }
build_kubeconform() { build_simple kubeconform "$KUBECONFORM_VERSION" github.com/yannh/kubeconform/cmd/kubeconform kubeconform; }

# `node pause coredns` (the real node, make e2e-real) and `karmada` are built only when asked for.
want=${*:-kube kwok helm kubeconform}
start=$(date +%s)
for t in $want; do
  case $t in
    kube) with_lock kube build_kube ;;
    kwok) with_lock kwok build_kwok ;;
    helm) with_lock helm build_helm ;;
    node) with_lock kube-node build_node ;;
    pause) with_lock pause build_pause ;;
    coredns) with_lock coredns build_coredns ;;
    karmada) build_karmada ;;
    kubeconform) with_lock kubeconform build_kubeconform ;;
    *) echo "unknown tool $t" >&2; exit 2 ;;
  esac
done
log "all tools ready in $(( $(date +%s) - start ))s"
