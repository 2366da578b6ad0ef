#!/usr/bin/env bash
# Puts the guest images in target/images/ for the rest of the build (Maven
# runs this from pom.xml). With gcc/ld/make on PATH it rebuilds them from
# source and requires them to equal prebuilt/ byte for byte; without a
# toolchain, or with -Dukemu.prebuiltImages=true, it copies prebuilt/.
set -euo pipefail
cd "$(dirname "$0")"

images=target/images

use_prebuilt() {
	echo "[WARNING] test-images: $1; using the prebuilt images from test-images/prebuilt/" >&2
	mkdir -p "$images"
	cp prebuilt/*.elf "$images/"
}

if [ "${1:-false}" = true ]; then
	use_prebuilt "ukemu.prebuiltImages=true"
	exit 0
fi

missing=""
for tool in make gcc ld strip objcopy cmp; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	use_prebuilt "no toolchain (missing:$missing)"
	exit 0
fi

# The .elf files are cheap to regenerate from the linked objects; removing
# them keeps an earlier prebuilt copy from passing for a fresh build.
rm -f "$images"/*.elf
make -s all

if [ "$(make -s toolchain-id)" != "$(cat prebuilt/TOOLCHAIN)" ]; then
	echo "[WARNING] test-images: this toolchain is not the one that built prebuilt/ (see prebuilt/TOOLCHAIN);" \
	     "using the images built here without comparing them" >&2
	exit 0
fi
# make's own "*** Error" line would only repeat the message check-prebuilt prints.
make -s check-prebuilt 2>/dev/null
