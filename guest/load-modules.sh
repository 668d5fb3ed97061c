# Load the modules listed in /lib/modules/load-order (dependencies first), one TAP
# result each. Run by the modular job (job-check-modular.sh) as suite modules:load.
n=0
rc=0
while read -r m; do
	n=$((n + 1))
	if insmod "/lib/modules/$(uname -r)/$m"; then
		echo "ok $n - insmod $m"
	else
		echo "not ok $n - insmod $m"
		rc=1
	fi
done </lib/modules/load-order
echo "1..$n"
exit $rc
