#!/usr/bin/env bash
# Checks that a kiosk binary carries no simulator and no demo centre: its
# symbol table (before stripping) must name the kiosk's own code — so the
# check cannot pass on an empty or stripped file — and nothing of the
# simulators (kiosk_sim's ID card reader, CCID reader, QR scanner, printer
# server) or of kiosk_central. The ESC/POS interpreter of kiosk_sim that
# renders the certificate preview ("the preview is the print") is allowed.
#
#   packaging/check-no-simulators.sh target/release/kiosk
#   packaging/check-no-simulators.sh --expect-simulators target/debug/kiosk   (the control)
set -euo pipefail

expect_sims=0
if [ "${1:-}" = "--expect-simulators" ]; then expect_sims=1; shift; fi
bin="${1:?usage: check-no-simulators.sh [--expect-simulators] BINARY}"

symbols="$(nm --demangle=rust "$bin" 2>/dev/null || true)"
if ! grep -q 'kiosk::startup::' <<<"$symbols"; then
    echo "check-no-simulators: $bin has no kiosk symbols (stripped?): cannot check" >&2
    exit 2
fi
forbidden='kiosk_sim::(idcard|sscard|scanner|pty)::|kiosk_sim::printer::server::|PrinterSim(Handle)?|kiosk_central::|kiosk::simulation::enabled::'
found="$(grep -E "$forbidden" <<<"$symbols" | sed -E 's/^[0-9a-f]+ . //' | sort -u || true)"
count=$(grep -c . <<<"$found" || true)
if [ "$expect_sims" = 1 ]; then
    if [ "$count" -eq 0 ]; then
        echo "check-no-simulators: control failed: $bin should contain simulator symbols" >&2
        exit 1
    fi
    echo "check-no-simulators: $bin contains the simulators ($count symbols), as a development build should"
    exit 0
fi
if [ "$count" -ne 0 ]; then
    echo "check-no-simulators: $bin contains $count simulator symbols, e.g.:" >&2
    head -20 <<<"$found" >&2
    exit 1
fi
echo "check-no-simulators: $bin: no simulator or demo-centre symbols"
