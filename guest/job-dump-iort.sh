# vmjob=dump-iort: print the firmware's IORT as hex, 16 bytes a line, for
# scripts/make-iort-override.sh (which builds the ACPI table upgrade from it).
t=/sys/firmware/acpi/tables/IORT
echo "@@@ BEGIN iort"
if [ -r "$t" ]; then
	echo "size $(wc -c <"$t")"
	hexdump -v -e '16/1 "%02x" "\n"' "$t"
	rc=0
else
	echo "no $t"
	rc=1
fi
echo "@@@ END iort rc=$rc secs=0"
