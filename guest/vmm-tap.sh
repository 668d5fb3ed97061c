# Helpers of the VMM suite's case scripts (guest/vmm-case.sh, guest/vmm-hotplug.sh),
# sourced from /lib.

# inner_results GUEST_TXT: the guest's TAP lines (between "@@@ INNER BEGIN" and
# "@@@ INNER END" of its console), then whether it reported at all
inner_results() {
	sed -n '/^@@@ INNER BEGIN/,/^@@@ INNER END/p' "$1" | grep -E '^(not )?ok '
	if grep -q '^@@@ INNER END' "$1"; then
		echo "ok - the guest reported all its results"
	else
		echo "not ok - the guest never reported (no @@@ INNER END in its console)"
	fi
}

# tap_number RAW OUT: number the "ok"/"not ok" lines of RAW into OUT, plan last
tap_number() {
	awk '/^(not )?ok / { n++; sub(/^ok /, "ok " n " "); sub(/^not ok /, "not ok " n " ") } { print } END { print "1.." n }' \
		"$1" >"$2"
}
