#!/usr/bin/env bash
# Installs what the project needs on a fresh machine, and nothing when it is already there:
# the npm dependencies (npm ci, when node_modules is missing or older than the lock file) and,
# with --system, the etcd and sshd binaries the integration tests start and the systemd tools and
# python3 the host guard's tests use (through apt-get when run as root; otherwise it prints the
# exact command and fails).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

if [ "${1:-}" = "--system" ]; then
  missing=()
  command -v etcd >/dev/null 2>&1 || [ -x /usr/bin/etcd ] || missing+=(etcd-server)
  [ -x /usr/sbin/sshd ] || command -v sshd >/dev/null 2>&1 || missing+=(openssh-server)
  # The host guard's tests: systemd-notify and systemd-analyze, and python3 for the notify socket.
  command -v systemd-notify >/dev/null 2>&1 || missing+=(systemd)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = "0" ]; then
      echo "setup: installing ${missing[*]} with apt-get"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "setup: the integration tests need ${missing[*]}; install with:" >&2
      echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
fi
