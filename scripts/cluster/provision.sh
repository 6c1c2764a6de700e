#!/usr/bin/env bash
# Provision kube-apiserver, kube-controller-manager and etcd for the test control plane.
# Idempotent: the LAST line of stdout is the directory holding the three binaries.
#
#   KUBEBUILDER_ASSETS   a folder with kube-apiserver, etcd and kube-controller-manager: used as is.
#   KRUSTLET_CACHE       cache root (default ~/.cache/krustlet-bootstrap); binaries go to
#                        $KRUSTLET_CACHE/k8s-1.20.2/bin, built from Debian bookworm's `kubernetes`
#                        source package with Debian's Go 1.19 (nothing installed system-wide).
#   KRUSTLET_KEEP_WORK=1 keep the build tree (sources, GOPATH, go cache) after a successful build.
set -euo pipefail

K8S_VERSION=1.20.2
NEED=(kube-apiserver kube-controller-manager etcd)

have_all() {
  local d=$1 b
  for b in "${NEED[@]}"; do [[ -x "$d/$b" ]] || return 1; done
}

# controlplane.mjs makes its PKI with openssl: make sure a fresh machine has it (as the build needs nothing else).
if ! command -v openssl >/dev/null 2>&1; then
  echo "provision: apt-get install openssl" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q openssl >&2 || { $SUDO apt-get update -q >&2 && $SUDO apt-get install -y -q openssl >&2; }
fi

if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  if have_all "$KUBEBUILDER_ASSETS"; then
    echo "$KUBEBUILDER_ASSETS"
    exit 0
  fi
  echo "provision: KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks one of ${NEED[*]}; building instead" >&2
fi

CACHE_ROOT=${KRUSTLET_CACHE:-$HOME/.cache/krustlet-bootstrap}
BASE=$CACHE_ROOT/k8s-$K8S_VERSION
BIN=$BASE/bin
if have_all "$BIN"; then echo "$BIN"; exit 0; fi

mkdir -p "$BASE"
exec 9>"$BASE/.lock"
if ! flock -n 9; then
  echo "provision: another build holds $BASE/.lock; waiting" >&2
  flock 9
fi
# Someone else may have finished while we waited.
if have_all "$BIN"; then echo "$BIN"; exit 0; fi

LOG=$BASE/build.log
WORK=$BASE/work
: >"$LOG"
echo "provision: building Kubernetes $K8S_VERSION from Debian sources into $BIN (log: $LOG; several minutes)" >&2
start_ts=$(date +%s)

fail() {
  local rc=$?
  echo "provision: FAILED (exit $rc). Last lines of $LOG:" >&2
  tail -n 40 "$LOG" >&2 || true
  exit "$rc"
}
trap fail ERR

step() { echo "== $(date +%T) $*" >>"$LOG"; echo "provision +$(( $(date +%s) - start_ts ))s: $*" >&2; }

# ---------------------------------------------------------------- private apt configuration
# Derive the Debian and Debian-security mirrors from the machine's own sources (deb822 or one-line),
# falling back to deb.debian.org.
mirror_for() { # $1 = suite regex (e.g. 'bookworm' or 'bookworm-security'); prints a URI or nothing
  local suite_re=$1 f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk -v re="^${suite_re}\$" '
      function flush() { if (types ~ /deb/ && ok && uri != "") { print uri; found=1; exit } types=""; ok=0; uri="" }
      /^[ \t]*$/ { flush(); next }
      /^Types:/  { types=$0 }
      /^URIs:/   { uri=$2 }
      /^Suites:/ { for (i=2;i<=NF;i++) if ($i ~ re) ok=1 }
      /^Enabled:[ \t]*no/ { types="" }
      END { if (!found) flush() }' "$f"
  done | head -n1
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    # deb [opts] URI SUITE components...
    sed -E 's/\[[^]]*\]//' "$f" | awk -v re="^${suite_re}\$" '$1=="deb" && $3 ~ re { print $2 }'
  done | head -n1
}
DEBIAN_MIRROR=$(mirror_for bookworm | head -n1)
SECURITY_MIRROR=$(mirror_for bookworm-security | head -n1)
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
SIGNED=""
[[ -f $KEYRING ]] && SIGNED="[signed-by=$KEYRING] "

APTDIR=$BASE/apt
mkdir -p "$APTDIR"/{lists/partial,cache/archives/partial,parts,prefs}
cat >"$APTDIR/sources.list" <<EOF
deb ${SIGNED}$DEBIAN_MIRROR bookworm main
deb-src ${SIGNED}$DEBIAN_MIRROR bookworm main
deb ${SIGNED}$SECURITY_MIRROR bookworm-security main
deb-src ${SIGNED}$SECURITY_MIRROR bookworm-security main
EOF
cat >"$APTDIR/apt.conf" <<EOF
Dir::Etc::SourceList "$APTDIR/sources.list";
Dir::Etc::SourceParts "$APTDIR/parts";
Dir::Etc::Preferences "$APTDIR/prefs/none";
Dir::Etc::PreferencesParts "$APTDIR/prefs";
Dir::State::Lists "$APTDIR/lists";
Dir::Cache "$APTDIR/cache";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT::Sandbox::User "root";
Acquire::Languages "none";
EOF
[[ $(id -u) -eq 0 ]] || sed -i '/Sandbox/d' "$APTDIR/apt.conf"
export APT_CONFIG=$APTDIR/apt.conf

step "apt-get update (private lists: $DEBIAN_MIRROR, $SECURITY_MIRROR)"
apt-get update >>"$LOG" 2>&1

rm -rf "$WORK"
mkdir -p "$WORK/dl" "$WORK/root"
step "apt-get source --download-only kubernetes"
(cd "$WORK/dl" && apt-get source --download-only kubernetes >>"$LOG" 2>&1)
step "apt-get download golang-1.19-go golang-1.19-src etcd-server"
(cd "$WORK/dl" && apt-get download golang-1.19-go golang-1.19-src etcd-server >>"$LOG" 2>&1)
for deb in "$WORK"/dl/*.deb; do dpkg -x "$deb" "$WORK/root"; done

GOROOT=$WORK/root/usr/lib/go-1.19
[[ -x $GOROOT/bin/go ]] || { echo "go not found at $GOROOT/bin/go" >>"$LOG"; false; }
ETCD=$WORK/root/usr/bin/etcd
[[ -x $ETCD ]] || { echo "etcd not found at $ETCD" >>"$LOG"; false; }

ORIG=$(ls "$WORK"/dl/kubernetes_*.orig.tar.* | head -n1)
GOPATH=$WORK/gopath
SRC=$GOPATH/src/k8s.io/kubernetes
mkdir -p "$SRC"
step "unpack $(basename "$ORIG")"
tar -xf "$ORIG" -C "$SRC" --strip-components=1
[[ -d $SRC/vendor && -d $SRC/cmd/kube-apiserver ]] || { echo "unexpected tarball layout in $ORIG" >>"$LOG"; false; }

export GOROOT GOPATH PATH=$GOROOT/bin:$PATH
export GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0 GOCACHE=$WORK/gocache GOTMPDIR= GOTOOLCHAIN=local
cd "$SRC"
go version >>"$LOG" 2>&1

step "build openapi-gen and generate pkg/generated/openapi"
go build -o "$WORK/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen >>"$LOG" 2>&1
# Same selection as upstream's build/root/Makefile.generated_files: every Go package (outside
# vendor/third_party) whose files carry a +k8s:openapi-gen= tag; staging packages by their k8s.io path.
mapfile -t PKGS < <(
  find . -not \( \( -path './_output' -o -path './.git' -o -path '*/third_party/*' -o -path '*/vendor/*' \) -prune \) \
    -name '*.go' -print0 \
  | xargs -0 grep -l -- '+k8s:openapi-gen=' \
  | xargs -n1 dirname | sort -u \
  | sed -E -e 's#^\./staging/src/#./vendor/#' -e 's#^\./#k8s.io/kubernetes/#'
)
echo "openapi-gen over ${#PKGS[@]} packages" >>"$LOG"
[[ ${#PKGS[@]} -gt 20 ]] || { echo "too few openapi-gen packages (${#PKGS[@]})" >>"$LOG"; false; }
INPUTS=$(IFS=,; echo "${PKGS[*]}")
"$WORK/openapi-gen" \
  --input-dirs "$INPUTS" \
  --output-base "$GOPATH/src" \
  --output-package k8s.io/kubernetes/pkg/generated/openapi \
  -O zz_generated.openapi \
  --go-header-file "$SRC/vendor/k8s.io/code-generator/hack/boilerplate.go.txt" \
  --report-filename "$WORK/openapi-violations.txt" >>"$LOG" 2>&1
[[ -s pkg/generated/openapi/zz_generated.openapi.go ]] || { echo "openapi-gen produced nothing" >>"$LOG"; false; }

V=k8s.io/kubernetes/vendor
LDFLAGS="-s -w"
for p in $V/k8s.io/component-base/version $V/k8s.io/client-go/pkg/version; do
  LDFLAGS+=" -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=20 -X $p.gitTreeState=clean"
  LDFLAGS+=" -X $p.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
done

OUT=$BASE/bin.tmp
rm -rf "$OUT"; mkdir -p "$OUT"
step "go build ./cmd/kube-apiserver (~3-4 min on 2 cores)"
go build -ldflags "$LDFLAGS" -o "$OUT/kube-apiserver" ./cmd/kube-apiserver >>"$LOG" 2>&1
step "go build ./cmd/kube-controller-manager"
go build -ldflags "$LDFLAGS" -o "$OUT/kube-controller-manager" ./cmd/kube-controller-manager >>"$LOG" 2>&1
cp "$ETCD" "$OUT/etcd"
"$OUT/kube-apiserver" --version >>"$LOG" 2>&1
"$OUT/etcd" --version >>"$LOG" 2>&1

rm -rf "$BIN"
mv "$OUT" "$BIN"
cd /
[[ ${KRUSTLET_KEEP_WORK:-} == 1 ]] || rm -rf "$WORK"
step "done in $(( $(date +%s) - start_ts )) s"
trap - ERR
echo "$BIN"
