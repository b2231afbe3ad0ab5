#!/usr/bin/env bash
# Installs sagefence for the GitHub Action (action.yml, step "install").
#
# Downloads the release archive for this runner from the repository's
# releases, verifies it against the release's checksums.txt, and unpacks the
# binary into $RUNNER_TEMP/sagefence-bin. The version is SF_VERSION, else the
# action's own ref when it is a release tag (uses: sagefence/sagefence@v1.2.0).
# Without a version, or when the download fails, it asks for a build from
# the action's source instead (method=source). A checksum mismatch is an
# error, never a reason to fall back.
#
# Environment: SF_VERSION, SF_ACTION_REF, SF_REPOSITORY (owner/name),
# GITHUB_SERVER_URL, RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_OUTPUT.
# Outputs: method=release|source, bin=<path of the binary>, version.
set -euo pipefail

bindir="$RUNNER_TEMP/sagefence-bin"
mkdir -p "$bindir"
exe=sagefence
case "$RUNNER_OS" in
  Linux) os=linux ;;
  macOS) os=darwin ;;
  Windows) os=windows; exe=sagefence.exe ;;
  *) os="" ;;
esac
case "$RUNNER_ARCH" in
  X64) arch=amd64 ;;
  ARM64) arch=arm64 ;;
  *) arch="" ;;
esac

source_build() {
  echo "method=source" >> "$GITHUB_OUTPUT"
  echo "bin=$bindir/$exe" >> "$GITHUB_OUTPUT"
}

version="${SF_VERSION:-}"
if [ -z "$version" ] && [[ "${SF_ACTION_REF:-}" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]]; then
  version="$SF_ACTION_REF"
fi
if [ -z "$version" ]; then
  echo "sagefence: no release version (the action is used at '${SF_ACTION_REF:-?}', not a release tag, and no version input): building from the action's source"
  source_build
  exit 0
fi
if [ -z "$os" ] || [ -z "$arch" ]; then
  echo "::warning::sagefence: no release binary for $RUNNER_OS/$RUNNER_ARCH: building from the action's source"
  source_build
  exit 0
fi

v="${version#v}"
ext=tar.gz
[ "$os" = windows ] && ext=zip
archive="sagefence_${v}_${os}_${arch}.${ext}"
base="${GITHUB_SERVER_URL:-https://github.com}/${SF_REPOSITORY:-sagefence/sagefence}/releases/download/v${v}"
dl="$RUNNER_TEMP/sagefence-download"
rm -rf "$dl" && mkdir -p "$dl"

fetch() { curl -fsSL --retry 3 --retry-delay 2 -o "$dl/$1" "$base/$1"; }
if ! fetch checksums.txt || ! fetch "$archive"; then
  echo "::warning::sagefence: could not download $archive of v$v from $base: building from the action's source"
  source_build
  exit 0
fi

expected=$(awk -v f="$archive" '$2 == f { print $1 }' "$dl/checksums.txt")
if [ -z "$expected" ]; then
  echo "::error::sagefence: checksums.txt of v$v does not list $archive"
  exit 1
fi
if command -v sha256sum >/dev/null 2>&1; then
  actual=$(sha256sum "$dl/$archive" | awk '{print $1}')
else
  actual=$(shasum -a 256 "$dl/$archive" | awk '{print $1}')
fi
if [ "$actual" != "$expected" ]; then
  echo "::error::sagefence: checksum mismatch for $archive: got $actual, checksums.txt says $expected"
  exit 1
fi
echo "sagefence: $archive verified (sha256 $actual)"

if [ "$ext" = zip ]; then
  unzip -o -q "$dl/$archive" "$exe" -d "$bindir"
else
  tar -xzf "$dl/$archive" -C "$bindir" "$exe"
fi
chmod +x "$bindir/$exe"
echo "method=release" >> "$GITHUB_OUTPUT"
echo "bin=$bindir/$exe" >> "$GITHUB_OUTPUT"
echo "version=$v" >> "$GITHUB_OUTPUT"
"$bindir/$exe" version
