#!/usr/bin/env bash
# Phone-width screenshots (390×844) of the main screens against the mock build
# (npm run build:mock; node scripts/serve.mjs dist-mock 5180). Output: shots/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:-http://127.0.0.1:5180/}"
mkdir -p shots
shot() {
  local name=$1 url=$2 lang=zh
  case "$name" in *-en) lang=en ;; esac
  url=$(printf %s "$url" | sed "s/?/?lang=$lang\&/")
  /usr/bin/chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$(mktemp -d)" --window-size=390,844 --virtual-time-budget=4000 \
    --screenshot="shots/$name.png" "$url" >/dev/null 2>&1 || echo "failed: $name"
}
shot signin "${base}?reset&signedout#/"
shot today "${base}?reset#/"
shot today-en "${base}?reset#/"
shot visit-en "${base}?reset#/new/visit?account=a1"
shot account "${base}?reset#/account/a1"
shot visit "${base}?reset#/new/visit?account=a1"
shot contact "${base}?reset#/edit/contact/c1"
shot opportunity "${base}?reset#/edit/opportunity/o1"
shot favour "${base}?reset&rejected#/edit/favour/f1"
shot scorecard "${base}?reset#/scorecard"
shot scorecard-offline "${base}?reset&offline#/scorecard"
shot sync "${base}?reset&rejected#/sync"
