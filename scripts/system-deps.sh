#!/bin/sh
# The Debian packages the suite uses: poppler (portfolio PDF pages), ffmpeg + espeak-ng (lesson videos; voice
# notes are decoded with ffmpeg, and their tests and bench/voice.py speak with espeak-ng),
# chromium (browser tests; Playwright drives Debian's build, nothing is downloaded). Installs what is
# missing when run as root; otherwise prints the one command that does.
set -eu
missing=""
command -v pdftoppm >/dev/null 2>&1 || missing="$missing poppler-utils"
command -v ffmpeg >/dev/null 2>&1 || missing="$missing ffmpeg"
command -v espeak-ng >/dev/null 2>&1 || missing="$missing espeak-ng"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need:$missing. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "installing:$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
