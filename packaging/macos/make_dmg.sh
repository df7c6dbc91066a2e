#!/usr/bin/env bash
# Sign, notarize and wrap dist/slmdesk.app into dist/slmdesk-<version>-macos-<arch>.dmg.
# Status: a recipe; it has not been run by the project yet (README, "Installers").
#
# Placeholders you provide (nothing is signed or sent without them):
#   CODESIGN_IDENTITY  "Developer ID Application: Your Name (TEAMID)"  (codesign -s)
#   NOTARY_PROFILE     a notarytool keychain profile made with
#                      `xcrun notarytool store-credentials NOTARY_PROFILE --apple-id ... --team-id ...`
# Without CODESIGN_IDENTITY the app is signed ad hoc ("-"): it runs on the build Mac only,
# and Gatekeeper blocks it elsewhere.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(python3 -c 'import tomllib;print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')
arch=$(uname -m)
app=dist/slmdesk.app
dmg=dist/slmdesk-${version}-macos-${arch}.dmg
identity=${CODESIGN_IDENTITY:--}

# Sign inside out: every dylib/so, then the executables, then the bundle (hardened runtime,
# secure timestamp), as Apple's "Notarizing macOS software before distribution" asks.
find "$app/Contents" -type f \( -name '*.dylib' -o -name '*.so' \) -print0 |
  xargs -0 codesign --force --timestamp --options runtime --sign "$identity"
codesign --force --timestamp --options runtime --entitlements packaging/macos/entitlements.plist \
  --sign "$identity" "$app/Contents/MacOS/slmdesk"
codesign --force --timestamp --options runtime --entitlements packaging/macos/entitlements.plist \
  --sign "$identity" "$app"
codesign --verify --deep --strict --verbose=2 "$app"

rm -f "$dmg"
hdiutil create -volname "slmdesk ${version}" -srcfolder "$app" -ov -format UDZO "$dmg"
if [[ "$identity" != "-" ]]; then
  codesign --force --timestamp --sign "$identity" "$dmg"
fi
if [[ -n "${NOTARY_PROFILE:-}" ]]; then
  xcrun notarytool submit "$dmg" --keychain-profile "$NOTARY_PROFILE" --wait
  xcrun stapler staple "$dmg"
else
  echo "NOTARY_PROFILE not set: $dmg is not notarized (Gatekeeper will warn)."
fi
echo "built $dmg"
