#!/usr/bin/env bash
# Print the path of a Chromium from Debian's packages, installing it when none is found (browser tests).
#   - an existing chromium / chromium-browser on PATH, or one unpacked earlier into .cache/chromium;
#   - as root: apt-get install -y chromium;
#   - otherwise: apt-get download chromium (and its Debian-specific common package) and dpkg -x them into
#     .cache/chromium (the shared libraries it needs come from the system).
# Playwright drives it with chromium.launch(executable_path=...): no browser is downloaded by Playwright.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${CHROMIUM_CACHE:-$ROOT/.cache/chromium}"

found() { [ -n "$1" ] && [ -x "$1" ] && { echo "$1"; exit 0; }; return 0; }

# Chinese labels need a CJK font; a small one from Debian when we may install packages (else boxes are drawn).
if [ "$(id -u)" = "0" ] && command -v fc-list >/dev/null 2>&1 && ! fc-list :lang=zh | grep -q .; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei >&2 || true
fi

found "${CHROMIUM:-}"
for name in chromium chromium-browser; do
  found "$(command -v "$name" 2>/dev/null || true)"
done
found "$CACHE/usr/lib/chromium/chromium"

if [ "$(id -u)" = "0" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium fonts-wqy-microhei >&2 \
    || { apt-get update -q >&2 && apt-get install -y -q chromium fonts-wqy-microhei >&2; }
  found "$(command -v chromium 2>/dev/null || true)"
  found /usr/lib/chromium/chromium
else
  mkdir -p "$CACHE/debs"
  (cd "$CACHE/debs" && { apt-get download chromium chromium-common >&2 || apt-get download chromium >&2; })
  for deb in "$CACHE"/debs/*.deb; do dpkg -x "$deb" "$CACHE"; done
  found "$CACHE/usr/lib/chromium/chromium"
fi
echo "chromium: could not find or install it (Debian package 'chromium')" >&2
exit 1
