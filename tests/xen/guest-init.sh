#!/bin/sh
# /init of the test PV guests: idles, or spins a loop per vCPU if the command line says poold_busy.
mount -t proc proc /proc
n=$(grep -c ^processor /proc/cpuinfo)
if grep -q poold_busy /proc/cmdline; then
	while [ "$n" -gt 0 ]; do
		(while :; do :; done) &
		n=$((n - 1))
	done
fi
while :; do
	sleep 3600
done
