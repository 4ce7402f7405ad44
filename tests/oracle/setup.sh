#!/usr/bin/env bash
# Creates the virtualenv that tests/clob_oracle.rs uses as its reference implementation:
# Polymarket's own Python client, pinned. Run from anywhere; idempotent.
#
#   bash tests/oracle/setup.sh
#
# Needs python3 (with venv) and PyPI. The test reads the interpreter from
# $CASSANDRA_ORACLE_PYTHON, default target/oracle-venv/bin/python.
set -euo pipefail

PY_CLOB_CLIENT_V2_VERSION="1.2.1"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${root}/target/oracle-venv"

if [[ ! -x "${venv}/bin/python" ]]; then
    python3 -m venv "${venv}"
fi
"${venv}/bin/python" -m pip install --quiet --disable-pip-version-check \
    -c "${root}/tests/oracle/constraints.txt" \
    "py-clob-client-v2==${PY_CLOB_CLIENT_V2_VERSION}"
"${venv}/bin/python" -c "import py_clob_client_v2; print('oracle venv ready:', '${venv}')"
