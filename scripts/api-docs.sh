#!/usr/bin/env bash
# The API reference for client teams, generated from the contracts in protos/.
#
#   scripts/api-docs.sh            writes docs/api/ (one Markdown page per proto package, plus
#                                  README.md with the index and how to read the pages)
#   scripts/api-docs.sh --check    writes nothing; exits 1 (printing the diff) when docs/api/ is
#                                  not what the protos make now (the contract check `api-docs`)
#   scripts/api-docs.sh --out DIR  writes the pages into DIR instead
#
# protoc compiles the protos into a descriptor set with their comments (--include_source_info);
# scripts/api_docs.py reads it with Debian's python3-protobuf and writes the pages: services and
# RPCs (request, response, streaming, the roles the comment names), resources, messages with a
# table of fields (type, field behaviour from google.api.field_behavior, resource references,
# comment) and enums. Nothing but protoc, python3 and python3-protobuf (scripts/install-deps.sh);
# no network. docs/api/ is committed, so that the README can link it; the check keeps it current.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROTOS="${ROOT}/protos"
OUT="${ROOT}/docs/api"
CHECK=0
while (($#)); do
  case "$1" in
    --check) CHECK=1 ;;
    --out)
      OUT="$2"
      shift
      ;;
    -h | --help)
      sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      printf 'usage: %s [--check] [--out DIR]\n' "$0" >&2
      exit 2
      ;;
  esac
  shift
done

command -v protoc >/dev/null 2>&1 || { echo "protoc not found (scripts/install-deps.sh installs protobuf-compiler)" >&2; exit 1; }
# Debian's python3 with its python3-protobuf; a python3 earlier on PATH (pyenv, a venv) may lack it.
PYTHON="${CAK_DOCS_PYTHON:-}"
if [[ -z "${PYTHON}" ]]; then
  for candidate in /usr/bin/python3 python3; do
    if "${candidate}" -c 'import google.protobuf' >/dev/null 2>&1; then
      PYTHON="${candidate}"
      break
    fi
  done
fi
[[ -n "${PYTHON}" ]] || { echo "no python3 with the protobuf module (scripts/install-deps.sh installs python3-protobuf)" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "${TMP}"' EXIT

# The contracts (the vendored googleapis files are imports, not pages), in a stable order.
mapfile -t FILES < <(cd "${PROTOS}" && find . -name '*.proto' -not -path './third_party/*' | sed 's#^\./##' | LC_ALL=C sort)
(cd "${PROTOS}" && protoc -I. -Ithird_party/googleapis --include_imports --include_source_info \
  --descriptor_set_out="${TMP}/contracts.pb" "${FILES[@]}")
# Python classes of the google.api options, so that they are read as what they are.
mkdir -p "${TMP}/py"
(cd "${PROTOS}/third_party/googleapis" && protoc -I. --python_out="${TMP}/py" \
  google/api/field_behavior.proto google/api/resource.proto)

if ((CHECK)); then
  "${PYTHON}" "${ROOT}/scripts/api_docs.py" "${TMP}/contracts.pb" "${TMP}/py" "${TMP}/out" "${FILES[@]}" >/dev/null
  if ! diff -ru "${OUT}" "${TMP}/out" >"${TMP}/diff" 2>&1; then
    head -n 200 "${TMP}/diff"
    exit 1
  fi
  printf '%s Markdown pages in docs/api/, as the %s .proto files make them\n' "$(find "${OUT}" -name '*.md' | wc -l)" "${#FILES[@]}"
else
  rm -rf "${TMP}/out"
  "${PYTHON}" "${ROOT}/scripts/api_docs.py" "${TMP}/contracts.pb" "${TMP}/py" "${TMP}/out" "${FILES[@]}"
  mkdir -p "${OUT}"
  find "${OUT}" -maxdepth 1 -name '*.md' -delete
  cp "${TMP}"/out/*.md "${OUT}/"
fi
