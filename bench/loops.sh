#!/bin/sh
# Issue #16: 1 loop vs 2 loops on this machine (docs/benchmarks.md, "Loops"). Each benchmark runs
# three times per setting, the settings alternated (1, 2, 1, 2, 1, 2) so a change in the machine's
# load hits both; every run is under a minute and prints its own verdict, host CPU and client CPU.
# Before: swift build -c release (the bench, which is also the host it starts, and the plugins it loads).
#   bench/loops.sh [media|calls|server ...]     (default: all three)
set -u   # not -e: a failed run is reported and the next one still runs
bench=${AGENT_HOST_BENCH:-.build/release/agent-host-bench}
parts=${*:-media calls server}
for run in 1 2 3; do
  for loops in 1 2; do
    for part in $parts; do
      echo "=== $(date -u +%FT%TZ) run $run, loops $loops, $part; load average $(cut -d' ' -f1-3 /proc/loadavg)"
      case $part in
        # 2,000 media-only streams, callers in 2 processes of their own; 18 s measured after a 13 s ramp.
        media)  "$bench" voice media --media-steps 2000 --seconds 24 --caller-processes 2 --loops "$loops" ;;
        # 150 full offline calls (pocketsphinx + flite per call); 20 s measured after a 22 s ramp.
        calls)  "$bench" voice calls --steps 150 --seconds 20 --caller-processes 2 --loops "$loops" ;;
        # 500 chat clients: saturation (HTTP, WebSocket) and paced, host and client-loop CPU.
        server) "$bench" server --clients 500 --loops "$loops" ;;
        *) echo "unknown part $part (media, calls, server)" >&2; exit 2 ;;
      esac
    done
  done
done
echo "=== $(date -u +%FT%TZ) done; load average $(cut -d' ' -f1-3 /proc/loadavg)"
