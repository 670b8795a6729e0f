#!/usr/bin/env bash
# Installs the pinned llama.cpp native runtime (node-llama-cpp 3.22.1 = llama.cpp release v0.5.0) into
# <repo>/.cache/llama (or $GUARDRAIL_CACHE_DIR/llama): shared libraries, the C headers the struct-layout test
# compiles against, and the Llama 3 vocab-only GGUF with its tokenizer test vectors.
# Usage: scripts/native-runtime.sh [--cuda]
# Idempotent: a second run only verifies what is there and prints where it is.
set -euo pipefail

readonly NLC_VERSION="3.22.1"
readonly LLAMA_RELEASE="v0.5.0"
# Pinned npm dist.integrity values. The C structs change between llama.cpp releases, so a tarball that differs
# from the one these were taken from must stop the install instead of producing a runtime that crashes later.
readonly SHA512_CPU="sha512-5uCCDNqWCNfaAm8aR/Uzxbo4HBpKgNF91kCHPepKhgMgV2OAmatoefbOlMihsqCiH2Od35E/eUHQCFbfRBJuOg=="
readonly SHA512_CUDA="sha512-8rQCjyNNLZJUFit+YpjwlC4hwkKgOMIkB2wuycKBf8NU2O3ySKbiWZQ8aw9ku2nUTXjSnUIrE6KB88itduTBuA=="
readonly SHA512_MAIN="sha512-bltIipuWmc123H7tMIgDGKSsSrhmhlQYeVUC48XTjVW7XGJJiJJyCdlTMzQ/LiWoPkGDpcL4FviDpgw7qfTiDw=="

die() { echo "native-runtime: error: $*" >&2; exit 1; }
info() { echo "native-runtime: $*"; }

want_cuda=false
for arg in "$@"; do
  case "$arg" in
    --cuda) want_cuda=true ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$arg' (expected: --cuda)" ;;
  esac
done

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_root="${GUARDRAIL_CACHE_DIR:-$repo_root/.cache}"
llama_dir="$cache_root/llama"
downloads="$llama_dir/downloads"
runtime_cpu="$llama_dir/runtime/cpu"
runtime_cuda="$llama_dir/runtime/cuda"
vocab_dir="$llama_dir/vocab"
include_dir="$llama_dir/include"
manifest_line="package=@node-llama-cpp/linux-x64 version=$NLC_VERSION llama.cpp=$LLAMA_RELEASE"

require_tools() {
  command -v npm >/dev/null 2>&1 || die "npm is not installed. On Debian/Ubuntu: 'sudo apt-get update && sudo apt-get install -y nodejs npm' (or install Node.js from https://nodejs.org), then run this script again."
  command -v git >/dev/null 2>&1 || die "git is not installed. On Debian/Ubuntu: 'sudo apt-get install -y git'."
  command -v tar >/dev/null 2>&1 || die "tar is not installed."
  command -v node >/dev/null 2>&1 || die "node is not installed (it comes with npm): 'sudo apt-get install -y nodejs'."
}

# Prints the npm-style integrity string (sha512-<base64>) of a file.
integrity_of() {
  node -e 'const c=require("crypto"),f=require("fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$1"
}

# fetch_tarball <package spec> <file name npm pack gives it> <pinned integrity>
fetch_tarball() {
  local spec="$1" file="$2" pinned="$3" path="$downloads/$2"
  if [[ ! -f "$path" ]]; then
    info "downloading $spec"
    mkdir -p "$downloads"
    (cd "$downloads" && npm pack "$spec" --silent >/dev/null) || die "'npm pack $spec' failed (is the npm registry reachable? see 'npm config get registry')."
    [[ -f "$path" ]] || die "'npm pack $spec' did not produce $path."
  fi
  local actual
  actual="$(integrity_of "$path")"
  if [[ "$actual" != "$pinned" ]]; then
    die "integrity mismatch for $path
  expected $pinned
  actual   $actual
The package differs from the pinned release; refusing to install it. Delete the file to download it again; if it still differs, the registry copy changed and must be reviewed before the pin is updated."
  fi
}

# install_runtime <tarball> <destination> <manifest line>
install_runtime() {
  local tarball="$1" dest="$2" manifest="$3"
  if [[ -f "$dest/MANIFEST" ]] && grep -qxF "$manifest" "$dest/MANIFEST"; then
    return 0
  fi
  local tmp
  tmp="$(mktemp -d)"
  tar -xzf "$tarball" -C "$tmp"
  local bins
  bins="$(find "$tmp/package/bins" -mindepth 1 -maxdepth 1 -type d | head -n 1)"
  [[ -n "$bins" ]] || { rm -rf "$tmp"; die "$tarball has no package/bins/<platform>/ folder."; }
  rm -rf "$dest"
  mkdir -p "$dest"
  find "$bins" -maxdepth 1 -type f -name '*.so*' -exec cp {} "$dest/" \;
  # The CUDA package names its build libllama.cuda.<release>.so.
  [[ -f "$dest/libllama.$LLAMA_RELEASE.so" || -f "$dest/libllama.cuda.$LLAMA_RELEASE.so" ]] \
    || { rm -rf "$tmp"; die "$tarball does not contain libllama.$LLAMA_RELEASE.so (or its CUDA variant)."; }
  printf '%s\n' "$manifest" >"$dest/MANIFEST"
  rm -rf "$tmp"
}

install_from_bundle() {
  local tarball="$1"
  if [[ -f "$vocab_dir/ggml-vocab-llama-bpe.gguf.out" && -f "$include_dir/llama.h" && -f "$include_dir/ggml.h" ]]; then
    return 0
  fi
  local tmp
  tmp="$(mktemp -d)"
  tar -xzf "$tarball" -C "$tmp" package/llama/gitRelease.bundle \
    || { rm -rf "$tmp"; die "$tarball does not contain package/llama/gitRelease.bundle."; }
  git clone --quiet "$tmp/package/llama/gitRelease.bundle" "$tmp/llama.cpp" 2>/dev/null \
    || git clone --quiet --no-checkout "$tmp/package/llama/gitRelease.bundle" "$tmp/llama.cpp" \
    || { rm -rf "$tmp"; die "could not clone llama.cpp from the git bundle in $tarball."; }
  local src="$tmp/llama.cpp"
  if [[ ! -f "$src/include/llama.h" ]]; then
    # A bundle without a default branch clones with no checkout; check out whatever ref it holds.
    local ref
    ref="$(git -C "$src" for-each-ref --format='%(refname)' | head -n 1)"
    git -C "$src" checkout --quiet "$ref" -- . || { rm -rf "$tmp"; die "could not check out llama.cpp from the bundle."; }
  fi
  mkdir -p "$vocab_dir" "$include_dir"
  local f
  for f in ggml-vocab-llama-bpe.gguf ggml-vocab-llama-bpe.gguf.inp ggml-vocab-llama-bpe.gguf.out; do
    cp "$src/models/$f" "$vocab_dir/$f"
  done
  cp "$src/include/llama.h" "$include_dir/"
  cp "$src"/ggml/include/*.h "$include_dir/"
  rm -rf "$tmp"
}

require_tools
fetch_tarball "@node-llama-cpp/linux-x64@$NLC_VERSION" "node-llama-cpp-linux-x64-$NLC_VERSION.tgz" "$SHA512_CPU"
fetch_tarball "node-llama-cpp@$NLC_VERSION" "node-llama-cpp-$NLC_VERSION.tgz" "$SHA512_MAIN"
install_runtime "$downloads/node-llama-cpp-linux-x64-$NLC_VERSION.tgz" "$runtime_cpu" "$manifest_line"
install_from_bundle "$downloads/node-llama-cpp-$NLC_VERSION.tgz"
if [[ "$want_cuda" == true ]]; then
  fetch_tarball "@node-llama-cpp/linux-x64-cuda@$NLC_VERSION" "node-llama-cpp-linux-x64-cuda-$NLC_VERSION.tgz" "$SHA512_CUDA"
  install_runtime "$downloads/node-llama-cpp-linux-x64-cuda-$NLC_VERSION.tgz" "$runtime_cuda" \
    "package=@node-llama-cpp/linux-x64-cuda version=$NLC_VERSION llama.cpp=$LLAMA_RELEASE"
fi

info "runtime (cpu): $runtime_cpu"
[[ "$want_cuda" == true ]] && info "runtime (cuda): $runtime_cuda"
info "vocab:         $vocab_dir"
info "headers:       $include_dir"
