#!/usr/bin/env bash
# make bench: builds the lean kernel (no debugging aids; NET_NS and NET_VRF as
# the baselines) and its modules. The measurements themselves (ratios against
# netns, Linux VRF and the kernel without our modules, measured in the same
# run) are not written yet: this script says so instead of printing numbers.
. "$(dirname "$0")/common.sh"
"$TOP/scripts/deps.sh" >/dev/null
"$TOP/scripts/kernel.sh" lean
"$TOP/scripts/modules.sh" lean
echo "bench: the lean kernel and modules are built (build/kernel-lean, build/modules-lean);"
echo "bench: no benchmark is implemented yet, so there are no figures to report."
