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

# qemu_no_error QEMU_OUT PATTERN WHAT: "not ok" when a line of QEMU's output that
# matches PATTERN (grep -i) reports an error, failure or impossibility about WHAT
qemu_no_error() {
	if grep -i "$2" "$1" | grep -qiE 'error|fail|cannot'; then
		echo "not ok - QEMU reported a $3 error: $(grep -i "$2" "$1" | head -1)"
	else
		echo "ok - QEMU reported no $3 error"
	fi
}

# tap_number RAW OUT: number the "ok"/"not ok" lines of RAW into OUT, plan last
tap_number() {
	awk '/^(not )?ok / { n++; sub(/^ok /, "ok " n " "); sub(/^not ok /, "not ok " n " ") } { print } END { print "1.." n }' \
		"$1" >"$2"
}
