#!/usr/bin/env bash
# Installs the Debian packages Kiln needs to build and test images, skipping those
# already present. Idempotent; needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  mmdebstrap e2fsprogs dosfstools mtools fdisk fakeroot uidmap
  grub-pc-bin grub-efi-amd64-bin grub-common
  qemu-utils qemu-system-x86 ovmf xorriso squashfs-tools
  libxml2-utils xz-utils ca-certificates
)
# The tests also need a PostgreSQL server to run the store and queue suites on,
# Debian's registry to push container images to, and iPXE ROMs for PXE boots.
if [[ "${1:-}" == "--test" ]]; then
  packages+=(postgresql docker-registry ipxe-qemu)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "Installing Debian packages: ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
