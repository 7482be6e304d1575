#!/bin/sh
# /init of the test PV guests: idles, or spins a loop per vCPU if the command line says poold_busy.
# The initrd is busybox alone: /proc and /dev (a background job's stdin is /dev/null) are not
# there yet.
mkdir -p /proc /dev
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
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
