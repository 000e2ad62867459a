#!/usr/bin/env bash
# Runs mixgraph's whole test suite (installing the system packages it needs first).
set -euo pipefail
cd "$(dirname "$0")"
.ci/deps
cargo test --workspace --locked "$@"
