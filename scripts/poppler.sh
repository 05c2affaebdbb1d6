#!/usr/bin/env bash
# Print the path of pdftoppm (Debian's poppler-utils), installing the package when it is missing and we
# are root (the letter tests render a PDF's first page to PNG with it). Nothing is downloaded otherwise.
set -euo pipefail
if command -v pdftoppm >/dev/null 2>&1; then command -v pdftoppm; exit 0; fi
if [ "$(id -u)" = "0" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q poppler-utils >&2 || { apt-get update -q >&2 && apt-get install -y -q poppler-utils >&2; }
  command -v pdftoppm && exit 0
fi
echo "poppler.sh: pdftoppm not found and not installable here (Debian package 'poppler-utils')" >&2
exit 1
