#!/usr/bin/env bash
# Take down what deploy/jupyterhub/up.sh brought up: the hub and every user server, the users and their
# homes, the exchange, PREFIX. Safe to run again, and after an up.sh that stopped half way.
#   sudo deploy/jupyterhub/down.sh [--prefix /opt/lab03-hub]
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "run as root (sudo)" >&2; exit 1; }
exec python3 "$(cd "$(dirname "$0")" && pwd)/hub.py" down "$@"
