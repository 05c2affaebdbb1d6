#!/usr/bin/env bash
# Build the real helm binary from the Go module proxy into .cache/bin (cached), print its path last.
#
#   bash scripts/helm.sh            -> .../.cache/bin/helm
#   HELM_VERSION=v3.19.5 bash scripts/helm.sh
#
# Uses only the Go toolchain and the Go module proxy: GOPATH and GOCACHE live under .cache/go so a
# second run (and CI on the same machine) reuses the downloaded modules and the build cache.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HELM_VERSION="${HELM_VERSION:-v3.19.0}"
BIN_DIR="$ROOT/.cache/bin"
HELM="$BIN_DIR/helm"

log() { echo "helm.sh: $*" >&2; }

# Cached and working, with the wanted version: nothing to do.
if [[ -x "$HELM" ]] && installed="$("$HELM" version --template '{{.Version}}' 2>/dev/null)" \
    && [[ "$installed" == "$HELM_VERSION" ]]; then
  echo "$HELM"
  exit 0
fi

command -v go >/dev/null 2>&1 || { log "go is not installed (needed to build helm $HELM_VERSION)"; exit 1; }

mkdir -p "$BIN_DIR" "$ROOT/.cache/go/path" "$ROOT/.cache/go/build"
export GOBIN="$BIN_DIR"
export GOPATH="$ROOT/.cache/go/path"
export GOCACHE="$ROOT/.cache/go/build"
export GOFLAGS="-mod=mod"
export CGO_ENABLED=0
# helm's go.mod asks for a Go at least as new as the one installed here; never fetch another toolchain.
export GOTOOLCHAIN=local

log "building helm $HELM_VERSION with $(go version | awk '{print $3}') (first time takes a few minutes)"
start=$(date +%s)
# -ldflags set the version that `helm version` reports (a plain `go install` leaves it as the default).
go install \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
  "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
log "built in $(( $(date +%s) - start ))s"

"$HELM" version --short >&2
echo "$HELM"
