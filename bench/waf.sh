#!/usr/bin/env bash
# bench/waf.sh: Verge in quick mode with and without the web ACL bench/waf/acl.json (AWS's
# Common, Known-bad-inputs and SQL database managed rule groups and a rate-based rule), and
# nginx's proxy with and without ModSecurity 3 and the OWASP Core Rule Set, loaded one after the
# other by bench/run.sh; the ratios "with web ACL / without" and "Verge + web ACL / nginx +
# ModSecurity" are printed under the table. Takes run.sh's environment.
#
#   DURATION=5 BODY=1k bash bench/waf.sh
set -euo pipefail
export TARGETS=${TARGETS:-verge verge-waf nginx nginx-modsec}
exec bash "$(dirname "${BASH_SOURCE[0]}")/run.sh"
