# The tools scripts/package builds with, pinned. Sourced by scripts/setup
# (`--package`, implied by `--test`, installs them) and by scripts/package
# (checks them and says what to install when one is missing or another
# version).

# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this
# Zig, the C toolchain cargo-zigbuild links with: from PyPI's `ziglang`
# wheel, unpacked (not pip-installed) into ZIG_DIR. Pinned by hash.
ZIG_VERSION=0.15.2
ZIG_WHEEL=ziglang-0.15.2-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl
ZIG_SHA256=806316453d1ede7174ed3fefb8e5348154629089c3bb5fe812dfd0e172fac130
ZIG_DIR=/opt/chrony-plugins/ziglang-$ZIG_VERSION

# Cargo subcommands, `cargo install --locked` at these versions.
CARGO_TOOLS=(
    "cargo-zigbuild 0.24.1"
    "cargo-deb 3.8.0"
    "cargo-generate-rpm 0.21.1"
)

# Debian packages: mmdebstrap (the fresh Debian 12 root of the .deb test),
# lintian, rpm (rpm -qp on the .rpm), dpkg-dev (dpkg-shlibdeps), binutils
# (readelf), patchelf (RUNPATH and soname), xz-utils and tar.
PACKAGE_APT_TOOLS=(mmdebstrap lintian rpm dpkg-dev binutils patchelf xz-utils tar)

# The glibc every binary must run on (EL 8, Debian 10, Ubuntu 20.04).
GLIBC_FLOOR=2.28
