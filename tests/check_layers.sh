#!/usr/bin/env bash
# The layers of src/ only ever include downwards:
#   lib  <-  core  <-  reflector, paramedic   (and the two programs never
# include each other). A violation prints the offending line and fails.
set -u
cd "${PP_SOURCE_DIR:-$(dirname "$0")/..}/src" || exit 1
bad=0
check() { # layer, forbidden include prefixes...
	local layer=$1; shift
	for prefix in "$@"; do
		if grep -rn --include='*.[ch]' "#include \"$prefix/" "$layer"; then
			echo "layer violation: $layer includes $prefix/"
			bad=1
		fi
	done
}
check lib core reflector paramedic
check core reflector paramedic
check reflector paramedic
check paramedic reflector
[ $bad -eq 0 ] && echo "layers: ok"
exit $bad
