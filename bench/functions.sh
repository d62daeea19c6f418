#!/usr/bin/env bash
# bench/functions.sh: Verge in quick mode with and without a viewer-request function
# (bench/functions/viewer-request.js), loaded one after the other by bench/run.sh, with the
# ratio "with function / without" printed under the table. Takes run.sh's environment.
#
#   DURATION=5 bash bench/functions.sh
set -euo pipefail
export TARGETS=${TARGETS:-verge verge-fn}
exec bash "$(dirname "${BASH_SOURCE[0]}")/run.sh"
