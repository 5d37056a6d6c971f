#!/usr/bin/env bash
# What the local fleet's real node needs (make e2e-real; root): Debian packages for containers
# (containerd, runc, the CNI plugins, iptables for kube-proxy, umoci for the pause image,
# conntrack) and the cached binaries (hack/build-tools.sh node pause coredns: kubelet and
# kube-proxy of KUBE_VERSION, the pause binary, CoreDNS of COREDNS_VERSION with the plugins the
# node uses).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
missing=()
for pair in containerd:containerd runc:runc /usr/lib/cni/bridge:containernetworking-plugins \
  iptables:iptables umoci:umoci conntrack:conntrack; do
  p=${pair%%:*}
  if [[ $p == /* ]]; then [ -x "$p" ] || missing+=("${pair#*:}"); else command -v "$p" >/dev/null || missing+=("${pair#*:}"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[real-node-deps] apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bash "$here/build-tools.sh" node pause coredns
