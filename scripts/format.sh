#!/usr/bin/env bash
# Formats seglog's C++ sources with clang-format and the .clang-format at the root.
#
# Usage: scripts/format.sh [--check] [FILE...]
#   (default: every .cpp, .cc, .h and .hpp under include/ src/ collector/ tests/ tools/ bench/ fuzz/
#   examples/)
#   --check  changes nothing: lists each file clang-format would change, with how many
#            replacements, and exits 1 if there is any (2 if clang-format cannot read one).
# The style is clang-format 14's reading of .clang-format (Debian 12's clang-format package);
# another major version may format a few constructs differently.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
SEGLOG_WITH_FORMAT=1 scripts/install-deps.sh || exit 1

check=0
if [ "${1:-}" = --check ]; then
    check=1
    shift
fi
if [ $# -gt 0 ]; then
    files=("$@")
else
    mapfile -t files < <(find include src collector tests tools bench fuzz examples -type f \
        \( -name '*.cpp' -o -name '*.cc' -o -name '*.h' -o -name '*.hpp' \) 2>/dev/null | sort)
fi

formatter=clang-format
command -v clang-format-14 >/dev/null && formatter=clang-format-14
version=$("$formatter" --version | grep -o 'version [0-9]*' | grep -o '[0-9]*')
# The root's .clang-format by name, so a file named from outside the tree gets the same style
# rather than clang-format's fallback.
style=--style=file:$PWD/.clang-format

if [ $check -eq 0 ]; then
    "$formatter" -i "$style" "${files[@]}" || exit 1
    echo "format: ${#files[@]} files formatted (clang-format $version)"
    exit 0
fi

changed=0
replacements=0
for f in "${files[@]}"; do
    # A file clang-format cannot read or parse is an error, not a file with nothing to change.
    if ! out=$("$formatter" "$style" --dry-run "$f" 2>&1); then
        echo "format --check: $f: clang-format failed: $out" >&2
        exit 2
    fi
    n=$(grep -c "warning:" <<<"$out")
    if [ "$n" -gt 0 ]; then
        echo "  $f: $n"
        changed=$((changed + 1))
        replacements=$((replacements + n))
    fi
done
echo "format --check: $changed of ${#files[@]} files would change ($replacements replacements, clang-format $version)"
[ $changed -eq 0 ]
