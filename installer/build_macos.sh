#!/usr/bin/env bash
# macOS: build "dist/Connect Desktop.app", self-test it, make the .dmg, and (when the
# identity and notary profile are set) sign, notarise and staple. Run: bash installer/build_macos.sh
#   CONNECT_CODESIGN_IDENTITY="Developer ID Application: Example District (TEAMID)"
#   CONNECT_NOTARY_PROFILE=connect-notary   (made once with `xcrun notarytool store-credentials`)
# The build is for this Mac's architecture (arm64 or x86_64), not universal2: see installer/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# PyInstaller signs the .app itself when CONNECT_CODESIGN_IDENTITY is set (see the spec).
python3 dev.py package --self-test --installer
version=$(.venv/bin/python -c 'import sys; sys.path.insert(0, "installer"); import bundle; print(bundle.project_version())')
arch=$(uname -m)
dmg="dist/ConnectDesktop-${version}-macos-${arch}.dmg"
app="dist/Connect Desktop.app"

# The shipped artefact is the dmg: self-test the app from the mounted image, as a user would run it.
mount=$(mktemp -d)
hdiutil attach -nobrowse -readonly -mountpoint "$mount" "$dmg" >/dev/null
trap 'hdiutil detach "$mount" >/dev/null 2>&1 || true' EXIT
"$mount/Connect Desktop.app/Contents/MacOS/ConnectDesktop" --self-test
hdiutil detach "$mount" >/dev/null
trap - EXIT

if [ -n "${CONNECT_CODESIGN_IDENTITY:-}" ]; then
  codesign --verify --deep --strict --verbose=2 "$app"
  codesign --force --timestamp --sign "$CONNECT_CODESIGN_IDENTITY" "$dmg"
  if [ -n "${CONNECT_NOTARY_PROFILE:-}" ]; then
    xcrun notarytool submit "$dmg" --keychain-profile "$CONNECT_NOTARY_PROFILE" --wait
    xcrun stapler staple "$dmg"
    spctl --assess --type open --context context:primary-signature --verbose "$dmg"
  fi
fi
echo "$dmg"
