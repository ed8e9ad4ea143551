#!/usr/bin/env bash
# Build "Connect Desktop.app" and a .dmg on macOS: bash installer/build_macos.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q pyinstaller
pyinstaller --noconfirm installer/connect-desktop.spec
# Smoke-test the frozen app before calling the build good.
"dist/Connect Desktop.app/Contents/MacOS/ConnectDesktop" --version
hdiutil create -volname "Connect Desktop" -srcfolder "dist/Connect Desktop.app" -ov -format UDZO dist/ConnectDesktop.dmg
echo "dist/ConnectDesktop.dmg"
