#!/bin/sh
# Installs what is missing, then builds and runs every test twice: a
# normal build and an AddressSanitizer + UBSan build, both with -Werror
# (and checks that a Release build, as the main job makes, is clean).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

"$top/scripts/deps.sh"

run_suite() {
    dir="$1"
    shift
    echo "== $(basename "$dir"): $*"
    cmake -S "$top" -B "$dir" -DWARDEN_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j"$jobs"
    (cd "$dir" && ctest --output-on-failure -j"$jobs")
}

# The main job builds Release (-O3): it must build clean there too.
echo "== build-release: -DCMAKE_BUILD_TYPE=Release, build only"
cmake -S "$top" -B "$top/build-release" -DWARDEN_WERROR=ON \
    -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$top/build-release" -j"$jobs"

run_suite "$top/build-test" -DCMAKE_BUILD_TYPE=RelWithDebInfo
run_suite "$top/build-sanitize" -DCMAKE_BUILD_TYPE=Debug -DWARDEN_SANITIZE=ON
