# shellcheck shell=bash
# Medians for the cold-start benchmarks (bench-check, bench-report,
# bench-sources). Source this file, then:
#   median_ms NAME FILE...       median of every run's wall time of the command
#                                hyperfine named NAME (`-n NAME`) in its
#                                --export-json FILEs, in ms (3 decimals)
#   median_rss_kb CMD [ARG...]   median peak RSS (GNU time's %M, KiB) of
#                                MEM_RUNS runs of CMD
# Needs jq and /usr/bin/time (GNU time).

median_ms() {
    # Median of the per-run wall times (seconds) in the JSON files, in ms.
    local name="$1"; shift
    jq -s --arg name "$name" '
        [ .[].results[] | select(.command == $name) | .times[] ] | sort
        | if length % 2 == 1 then .[length / 2 | floor]
          else (.[length / 2 - 1] + .[length / 2]) / 2 end
        | . * 1000 * 1000 | round / 1000' "$@"
}

median_rss_kb() {
    local out=()
    for _ in $(seq "${MEM_RUNS:?}"); do
        out+=("$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1)")
    done
    printf '%s\n' "${out[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
