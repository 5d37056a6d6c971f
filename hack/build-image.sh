#!/usr/bin/env bash
# `make image`: builds the Spillway image from the project's Dockerfile without a Docker engine,
# with `buildah bud` (Debian package). The Dockerfile's base, node:20-bookworm-slim, is made
# locally instead of pulled from a registry: a Debian bookworm minbase root file system
# (mmdebstrap, Debian's archive) plus this machine's Node.js 20 (binary, npm, corepack) in
# /usr/local, where the official image keeps them. The Dockerfile's RUN steps reach the npm
# registry and Debian's archive as usual.
#
# Everything lives under $SPILLWAY_CACHE/image (buildah storage included), so the machine's own
# /var/lib/containers is never touched:
#   base/node-<node version>-bookworm.tar   the stand-in base root file system (cached)
#   spillway-<tag>.oci.tar                  the built image as an OCI archive (`ctr images import`)
# Usage: hack/build-image.sh [TAG]   (TAG defaults to package.json's version)
# SPILLWAY_IMAGE_BUILD_ID=<id> stamps the image with the label dev.spillway.build-id=<id>: a
# rebuild from the same sources then yields a different image ID (the upgrade test uses it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cache=${SPILLWAY_CACHE:-$HOME/.cache/spillway}
tag=${1:-$(node -p "require('$repo/package.json').version")}
image=${SPILLWAY_IMAGE:-ghcr.io/spillway-dev/spillway}
node_version=$(node --version)
case $node_version in v20.*) ;; *) echo "Node.js 20 is required for the base image (found $node_version)" >&2; exit 1 ;; esac

log() { printf '[build-image %(%H:%M:%S)T] %s\n' -1 "$*"; }
dir="$cache/image"
mkdir -p "$dir/base"
base_tar="$dir/base/node-$node_version-bookworm.tar"
# buildah's own storage, not the machine's /var/lib/containers and /run/containers.
bah=(buildah --root "$dir/storage" --runroot "$dir/run" --storage-driver overlay)
# containers/storage leaves its overlay mounts (and a private bind mount of its own directory)
# behind when buildah exits: undo them, so the machine keeps no mounts of ours.
unmount_storage() {
  "${bah[@]}" umount --all >/dev/null 2>&1 || true
  # (with no mount left, grep fails: under pipefail that must not become the exit status)
  awk '{print $2}' /proc/self/mounts | { grep -E "^$dir/(storage|run)(/|$)" || true; } | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
}
trap unmount_storage EXIT

# Debian packages this script needs (CI machines are fresh; root installs them).
missing=()
command -v buildah >/dev/null || missing+=(buildah)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -s "$base_tar" ]; then
  log "base: Debian bookworm minbase + Node.js $node_version (mmdebstrap)"
  node_bin=$(command -v node)
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  mods=$(dirname "$npm_dir")
  # Same layout as node:20-bookworm-slim: node and its bundled npm/corepack in /usr/local.
  mmdebstrap --quiet --variant=minbase --include=ca-certificates \
    --customize-hook="install -D -m755 '$node_bin' \"\$1/usr/local/bin/node\"" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules\" && cp -a '$mods/npm' '$mods/corepack' \"\$1/usr/local/lib/node_modules/\"" \
    --customize-hook="ln -s ../lib/node_modules/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\" && ln -s ../lib/node_modules/npm/bin/npx-cli.js \"\$1/usr/local/bin/npx\" && ln -s ../lib/node_modules/corepack/dist/corepack.js \"\$1/usr/local/bin/corepack\"" \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    bookworm "$base_tar.tmp" http://deb.debian.org/debian
  mv "$base_tar.tmp" "$base_tar"
fi

# The base goes into buildah's storage under the name the Dockerfile uses.
if ! "${bah[@]}" inspect --type image "docker.io/library/node:20-bookworm-slim" >/dev/null 2>&1 ||
  [ "$("${bah[@]}" inspect --type image --format '{{index .ImageAnnotations "dev.spillway.base"}}' docker.io/library/node:20-bookworm-slim 2>/dev/null)" != "$node_version" ]; then
  log "base: importing into buildah storage as node:20-bookworm-slim"
  ctr=$("${bah[@]}" from scratch)
  "${bah[@]}" add "$ctr" "$base_tar" /
  "${bah[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="${node_version#v}" --cmd node --os linux --arch amd64 \
    --annotation dev.spillway.base="$node_version" "$ctr"
  "${bah[@]}" commit --rm "$ctr" docker.io/library/node:20-bookworm-slim
fi

# Build-time trust: where the machine reaches the npm registry through a TLS-inspecting proxy,
# its CA bundle (and an npmrc pointing npm at it) is mounted into the RUN steps only; nothing
# of it lands in the image.
trust=()
bundle=/etc/ssl/certs/ca-certificates.crt
if [ -s "$bundle" ]; then
  printf 'cafile=%s\n' "$bundle" >"$dir/npmrc"
  # root's user npmrc: the RUN steps run as root; buildah leaves an empty mount point file
  # there, in a home nobody uses at run time (the image runs as 65532).
  trust=(-v "$bundle:$bundle:ro" -v "$dir/npmrc:/root/.npmrc:ro")
fi

labels=()
[ -n "${SPILLWAY_IMAGE_BUILD_ID:-}" ] && labels=(--label "dev.spillway.build-id=$SPILLWAY_IMAGE_BUILD_ID")

log "buildah bud $image:$tag"
# --network host: the RUN steps reach npm's registry and Debian's archive through the host's
# network (no CNI network of buildah's own, nothing left behind).
"${bah[@]}" bud --pull=never --network host --layers "${trust[@]}" "${labels[@]}" -t "$image:$tag" -f "$repo/Dockerfile" "$repo"

out="$dir/spillway-$tag.oci.tar"
id=$("${bah[@]}" inspect --type image --format '{{.FromImageID}}' "$image:$tag")
# The archive of this very image exists already (nothing changed since the last build).
if [ -s "$out" ] && [ "$(cat "$out.id" 2>/dev/null)" = "$id" ]; then
  log "image $image:$tag unchanged: $out"
  exit 0
fi
rm -f "$out" "$out.id"
"${bah[@]}" push "$image:$tag" "oci-archive:$out:$image:$tag"
echo "$id" >"$out.id"
size=$("${bah[@]}" images --format '{{.Size}}' "$image:$tag")
log "image $image:$tag: $size unpacked, $(du -h "$out" | cut -f1) archive at $out"
