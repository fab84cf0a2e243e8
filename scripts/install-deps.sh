#!/usr/bin/env bash
# Installs every Debian 12 package the project needs that is not there yet.
# Run as root (or with sudo available). Idempotent and quiet when all is present.
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config git clang libclang-rt-14-dev
            libssl-dev libevent-dev libjansson-dev libpcap-dev libsqlite3-dev
            libcmocka-dev)
runtime_pkgs=(openssl iperf3 iproute2 nftables procps jq)
test_pkgs=(tshark tcpdump iputils-ping netcat-openbsd ethtool)
bench_pkgs=(irtt nginx-light libnginx-mod-stream stunnel4 hyperfine)

want=("${build_pkgs[@]}" "${runtime_pkgs[@]}")
case "${1:-}" in
	--test) want+=("${test_pkgs[@]}") ;;
	--bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
