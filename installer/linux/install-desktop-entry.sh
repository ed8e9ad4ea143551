#!/bin/sh
# Put Connect Desktop in this user's applications menu (no root needed):
#   sh install-desktop-entry.sh            add it (run from the unpacked ConnectDesktop folder)
#   sh install-desktop-entry.sh --remove   take it out again
set -eu
here=$(cd "$(dirname "$0")" && pwd)
target="${XDG_DATA_HOME:-$HOME/.local/share}/applications/connect-desktop.desktop"
if [ "${1:-}" = "--remove" ]; then
  rm -f "$target"
  echo "Removed $target"
  exit 0
fi
mkdir -p "$(dirname "$target")"
sed "s|@BUNDLE@|$here|g" "$here/connect-desktop.desktop" > "$target"
chmod 644 "$target"
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database "$(dirname "$target")" || true
fi
echo "Added Connect Desktop to the applications menu ($target)"
