#!/usr/bin/env bash
# Start-to-home-screen time of a kiosk binary in production mode on the
# software renderer (headless: the same renderer linuxkms uses, drawing into
# memory instead of /dev/dri), against the reference centre on loopback.
# Every device is configured at a path where nothing is plugged in, so the
# start-up report lists them as absent and the home screen says which
# journeys are out of service, as on a kiosk whose readers are unplugged.
#
#   packaging/start-time.sh target/release/kiosk target/debug/kiosk-central [RUNS]
#
# Prints each run's "home screen ready in N ms" and the median and p95.
set -euo pipefail
kiosk="${1:?usage: start-time.sh KIOSK KIOSK-CENTRAL [RUNS]}"
central="${2:?usage: start-time.sh KIOSK KIOSK-CENTRAL [RUNS]}"
runs="${3:-9}"

work="$(mktemp -d)"
cleanup() {
    [ -n "${centre_pid:-}" ] && kill "$centre_pid" 2>/dev/null || true
    [ -n "${kiosk_pid:-}" ] && kill "$kiosk_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The reference centre on a free loopback port (it prints its URL).
"$central" --listen 127.0.0.1:0 >"$work/centre.out" 2>&1 &
centre_pid=$!
url=""
for _ in $(seq 1 100); do
    url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/centre.out" | head -1 || true)"
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "the reference centre did not start:" >&2; cat "$work/centre.out" >&2; exit 1; }

cat >"$work/kiosk.toml" <<EOF
[simulation]
enabled = false

[terminal]
id = "K2201-T900"
hall_name = "长春市医疗保障服务大厅"

[devices]
id_reader = "$work/absent-id-reader"
ss_card_reader = "usb"
scanner = "$work/absent-qr-scanner"
printer = "tcp://127.0.0.1:9"

[central]
url = "$url"
timeout_ms = 2000
EOF

times=()
for i in $(seq 1 "$runs"); do
    rm -rf "$work/data"
    XDG_DATA_HOME="$work/data" "$kiosk" --config "$work/kiosk.toml" --headless >"$work/run.out" 2>"$work/run.err" &
    kiosk_pid=$!
    ms=""
    for _ in $(seq 1 200); do
        ms="$(grep -o 'home screen ready in [0-9]* ms' "$work/run.out" | grep -o '[0-9]*' || true)"
        [ -n "$ms" ] && break
        if ! kill -0 "$kiosk_pid" 2>/dev/null; then break; fi
        sleep 0.05
    done
    kill -TERM "$kiosk_pid" 2>/dev/null || true
    wait "$kiosk_pid" 2>/dev/null || true
    kiosk_pid=""
    if [ -z "$ms" ]; then
        echo "run $i: no home screen; the kiosk said:" >&2
        cat "$work/run.out" "$work/run.err" >&2
        exit 1
    fi
    echo "run $i: home screen ready in $ms ms"
    times+=("$ms")
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
n=${#sorted[@]}
median=${sorted[$((n / 2))]}
p95=${sorted[$(((n * 95 + 99) / 100 - 1))]}
echo "production start to home screen ($n runs): median $median ms, p95 $p95 ms"
grep -m1 'kiosk: production mode' "$work/run.out" >/dev/null && echo "(mode: production; start-up report:)"
grep 'problem\|out of service' "$work/run.out" | head -8 || true
