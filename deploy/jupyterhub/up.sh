#!/usr/bin/env bash
# The course on this machine's JupyterHub, for an instructor and N students with local Unix logins.
#
#   sudo deploy/jupyterhub/up.sh --students 3 [--prefix /opt/lab03-hub] [--exchange /srv/nbgrader/exchange]
#                                [--port 8000] [--user-prefix lab03-]
#   sudo deploy/jupyterhub/down.sh [--prefix /opt/lab03-hub]      # removes everything up.sh made
#
# Installs configurable-http-proxy from npm and the course's locked environment (uv.lock) into PREFIX,
# then hub.py creates the users, the exchange and the course and starts the hub (hub.py says what each is).
# If it stops half way, down.sh with the same --prefix undoes what was done.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PROXY_VERSION=5.3.0   # configurable-http-proxy, JupyterHub's default proxy (npm)

[ "$(id -u)" = 0 ] || { echo "run as root (sudo): it creates Unix users and starts servers as them" >&2; exit 1; }
PREFIX=/opt/lab03-hub
args=("$@")
while [ $# -gt 0 ]; do
    case "$1" in --prefix) PREFIX="$2"; shift 2 ;; --prefix=*) PREFIX="${1#*=}"; shift ;; *) shift ;; esac
done
if [ -e "$PREFIX/state.json" ]; then
    echo "$PREFIX already holds a hub: run deploy/jupyterhub/down.sh --prefix $PREFIX first" >&2; exit 1
fi

# Every user runs the environment's Python, so it must be one they can reach: not one under /root (pyenv's).
python=""
for candidate in /usr/bin/python3 "$(command -v python3 || true)"; do
    if [ -x "$candidate" ] && runuser -u nobody -- "$candidate" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
        python="$candidate"; break
    fi
done
[ -n "$python" ] || { echo "no Python >= 3.11 that every user can run (apt-get install python3)" >&2; exit 1; }
if ! command -v uv >/dev/null 2>&1; then
    python3 -m pip install --quiet uv
    export PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
fi
command -v npm >/dev/null 2>&1 || { echo "npm is missing: apt-get install npm" >&2; exit 1; }

mkdir -p "$PREFIX"
chmod 755 "$PREFIX"
echo '{"users": []}' > "$PREFIX/state.json"   # from here on, down.sh cleans up
chmod 600 "$PREFIX/state.json"
npm install --silent --no-audit --no-fund --prefix "$PREFIX/proxy" "configurable-http-proxy@$PROXY_VERSION" >/dev/null
UV_PROJECT_ENVIRONMENT="$PREFIX/venv" uv sync --locked --quiet --project "$REPO" --python "$python"
exec "$PREFIX/venv/bin/python" "$HERE/hub.py" up --proxy "$PREFIX/proxy/node_modules/.bin/configurable-http-proxy" "${args[@]}"
