# A suite (sh /lib/kmemleak-scan.sh): kmemleak scans twice (objects freed by RCU
# callbacks and deferred work go first), any unreferenced object fails it, and the
# first reports are shown. Boot's own leaks were forgotten before the suites
# (kmemleak_forget_boot in guest-lib.sh).
f=/sys/kernel/debug/kmemleak
echo "TAP version 13"
echo "1..1"
if [ ! -w "$f" ]; then
	echo "not ok 1 - kmemleak: $f missing (no CONFIG_DEBUG_KMEMLEAK, or kmemleak disabled itself)"
	exit 1
fi
sleep 5
echo scan >"$f"
sleep 5
echo scan >"$f"
n=$(grep -c '^unreferenced object' "$f")
if [ "$n" = 0 ]; then
	echo "ok 1 - kmemleak: no unreferenced object after the suites"
	exit 0
fi
echo "not ok 1 - kmemleak: $n unreferenced objects after the suites"
head -150 "$f" | sed 's/^/# /'
exit 1
