#!/bin/sh
# make deb: the Debian package. The source tree (without build/ and .run/)
# is copied to build/deb/src with deploy/debian as its debian/, where
# dpkg-buildpackage wants it, and built there, unsigned: the native
# source package (.dsc, .tar.xz) and the binary package (.deb) land in
# build/deb/, beside the .deb files of earlier versions. The build's log
# is build/deb/build.log.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/deb
VERSION=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$ROOT/deploy/debian/changelog")

# Only this version's build is replaced: the .deb files of earlier builds
# stay (an upgrade is tried with the old and the new one side by side).
rm -rf "$OUT/src"
rm -f "$OUT/build.log" "$OUT/models-api_$VERSION.dsc" \
    "$OUT/models-api_$VERSION.tar.xz" "$OUT"/models-api_"$VERSION"_*.buildinfo \
    "$OUT"/models-api_"$VERSION"_*.changes
mkdir -p "$OUT/src"
(cd "$ROOT" && tar -cf - --exclude=./build --exclude=./.run --exclude=./.git \
    --exclude='./tests/fuzz/corpus/*/*-scratch*' .) | tar -xf - -C "$OUT/src"
rm -rf "$OUT/src/debian"
cp -a "$ROOT/deploy/debian" "$OUT/src/debian"
if ! (cd "$OUT/src" && dpkg-buildpackage -us -uc) >"$OUT/build.log" 2>&1; then
	tail -n 30 "$OUT/build.log" >&2
	echo "make deb: dpkg-buildpackage failed; see build/deb/build.log" >&2
	exit 1
fi
ls "$OUT"/models-api_"$VERSION"_*.deb
