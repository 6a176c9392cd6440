#!/usr/bin/env bash
# Runs the `effective` fuzz target on stable Rust (RUSTC_BOOTSTRAP=1 unlocks the -Z flags
# cargo-fuzz passes). Seeds: every fuzz/seeds/*.yml as-is, plus each config combined with each
# env file in the input layout documented in fuzz_targets/effective.rs.
#   usage: fuzz/run.sh [SECONDS [LIBFUZZER_ARGS...]]   (default 600 s)
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-600}"
shift || true
# Extra cargo-fuzz flags, e.g. FUZZ_FLAGS="-s none" if the sanitizer cannot be used.
read -r -a FUZZ_FLAGS <<<"${FUZZ_FLAGS:-}"
corpus=corpus/effective
mkdir -p "$corpus"
v=0
for y in seeds/*.yml; do
  cp "$y" "$corpus/"
  for e in seeds/*.env; do
    out="$corpus/$(basename "$y" .yml)+$(basename "$e" .env).bin"
    # CONFIG 0xFF VERSION ENV_FILE 0xFF [idx_lo idx_hi flags len value...]
    {
      cat "$y"
      printf '\377'
      printf "\\$(printf %03o $((v % 3)))"
      cat "$e"
      printf '\377'
      printf '\006\000\001\004true'     # name 6: REGISTRY_STORAGE_DELETE_ENABLED
      printf '\026\000\002\010dup: [1]' # name 22: REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL, index 2
    } >"$out"
    v=$((v + 1))
  done
done
cd ..
RUSTC_BOOTSTRAP=1 cargo fuzz run "${FUZZ_FLAGS[@]}" effective "fuzz/$corpus" -- \
  -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$@"
