#!/usr/bin/env bash
# Builds mixgraph and runs its demo: a synthesized multitrack session mixed and mastered
# into ./demo-out (installing the system packages it needs first).
set -euo pipefail
cd "$(dirname "$0")"
.ci/deps
cargo run --release --locked --bin mixgraph -- demo "${1:-demo-out}"
