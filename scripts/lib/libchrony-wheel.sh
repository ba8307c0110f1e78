# libchrony 0.2 as upstream builds it, shipped inside the pychrony 2.0.3 wheel
# (see ../shared/libchrony.md). Pinned by version and hash. Sourced by
# scripts/setup (installs it into /usr/local/lib on Debian/Ubuntu) and by
# scripts/package (bundles it, privately, into the .deb and the tarball), so
# both use the very same bytes.
#
# Upstream source of the library: https://gitlab.com/chrony/libchrony (tag
# v0.2, LGPL-2.1-or-later); the wheel's own source is the pychrony 2.0.3 sdist
# on PyPI.

# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this
PYCHRONY_VERSION=2.0.3
PYCHRONY_WHEEL=pychrony-2.0.3-cp311-cp311-manylinux1_x86_64.manylinux_2_28_x86_64.manylinux_2_5_x86_64.whl
PYCHRONY_SHA256=03b8bdfbd5a5b0f701b751c45f2aa8d27ba7bb48b11bb2a147383342e1a9d1ce
LIBCHRONY_VERSION=0.2
LIBCHRONY_SO=libchrony.so.0.0.1
LIBCHRONY_SOURCE=https://gitlab.com/chrony/libchrony

# fetch_libchrony_from_wheel DEST_FILE [LICENSE_FILE]: downloads the pinned
# wheel (pip, no install), checks its sha256, extracts the library to
# DEST_FILE and restores its upstream soname libchrony.so.0 (the wheel renamed
# it); with LICENSE_FILE, also the LGPL-2.1-or-later text the wheel ships for
# it. x86_64 only.
fetch_libchrony_from_wheel() {
    local dest=$1 license=${2:-} tmp rc=0
    if [ "$(uname -m)" != x86_64 ]; then
        echo "the pinned pychrony wheel is x86_64 only: build libchrony $LIBCHRONY_VERSION from source ($LIBCHRONY_SOURCE) and set LIBCHRONY_LIB_DIR" >&2
        return 1
    fi
    tmp=$(mktemp -d)
    _fetch_libchrony "$tmp" "$dest" "$license" || rc=$?
    rm -rf "$tmp"
    return "$rc"
}

_fetch_libchrony() {
    local tmp=$1 dest=$2 license=$3
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
        --python-version 3.11 --platform manylinux_2_28_x86_64 \
        --dest "$tmp" "pychrony==$PYCHRONY_VERSION" || { echo "pip download pychrony==$PYCHRONY_VERSION failed" >&2; return 1; }
    local wheel="$tmp/$PYCHRONY_WHEEL"
    [ -f "$wheel" ] || { echo "pip did not fetch $PYCHRONY_WHEEL" >&2; return 1; }
    echo "$PYCHRONY_SHA256  $wheel" | sha256sum --check --quiet - \
        || { echo "sha256 mismatch for $PYCHRONY_WHEEL: refusing to use it" >&2; return 1; }
    python3 - "$wheel" "$tmp/libchrony.so" "$tmp/LGPL-2.1-or-later.txt" <<'EOF' || return 1
import sys, zipfile
wheel, lib_path, license_path = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    for prefix, out_path in (("pychrony.libs/libchrony-", lib_path),
                             ("pychrony-2.0.3.dist-info/licenses/LICENSES/LGPL-2.1", license_path)):
        names = [n for n in z.namelist() if n.startswith(prefix)]
        if len(names) != 1:
            sys.exit(f"expected one {prefix}* in the wheel, found {names}")
        with z.open(names[0]) as src, open(out_path, "wb") as out:
            out.write(src.read())
EOF
    patchelf --set-soname libchrony.so.0 "$tmp/libchrony.so" || return 1
    # (Called in an `||` list, where set -e does not apply: every step checks.)
    mkdir -p "$(dirname "$dest")" && install -m 0644 "$tmp/libchrony.so" "$dest" || return 1
    if [ -n "$license" ]; then
        mkdir -p "$(dirname "$license")" \
            && install -m 0644 "$tmp/LGPL-2.1-or-later.txt" "$license" || return 1
    fi
}
