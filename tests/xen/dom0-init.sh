#!/bin/sh
# /init of the test dom0: brings up xenstored and xenconsoled, runs the scenarios, powers off.
#
# Every line the harness acts on starts with "POOLD-XEN ": xenstored-up (the
# boot did not hang), result NAME rc=N (one per scenario), end rc=N (the last
# line before poweroff). Whatever goes wrong here still ends in poweroff.

export PATH=/usr/lib/xen-4.17/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root

uptime_s()
{
	cut -d' ' -f1 /proc/uptime
}

say()
{
	echo "POOLD-XEN $*"
}

die()
{
	say "fatal: $*"
	say "end rc=99"
	sync
	poweroff -f
	sleep 60
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
mkdir -p /run/xen /run/xenstored /run/poold /var/log/xen/console
say "init t=$(uptime_s)"

for m in xen-privcmd xen-evtchn xen-gntdev xen-gntalloc xenfs; do
	[ -f /lib/modules/$m.ko ] || continue
	insmod /lib/modules/$m.ko || die "insmod $m failed"
done
mount -t xenfs xenfs /proc/xen || die "cannot mount xenfs"

export XENSTORED_ROOTDIR=/var/lib/xenstored
xenstored --pid-file=/run/xenstored.pid || die "xenstored failed to start"
i=0
until xenstore-read -s / >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 600 ] || die "xenstored does not answer"
	sleep 0.1
done
say "xenstored-up t=$(uptime_s)"
xen-init-dom0 || die "xen-init-dom0 failed"
xenconsoled --pid-file=/run/xenconsoled.pid || die "xenconsoled failed to start"

. /tests/config
export SCHED
total=0
for s in $SCENARIOS; do
	say "begin $s t=$(uptime_s)"
	start=$(uptime_s)
	mkdir -p /tmp/s-$s
	(cd /tmp/s-$s && exec timeout -s KILL "$SCENARIO_TIMEOUT" sh /tests/s-$s.sh)
	rc=$?
	end=$(uptime_s)
	say "result $s rc=$rc t=$(awk "BEGIN { printf \"%.1f\", $end - $start }")"
	[ $rc -eq 0 ] || total=1
	# The next scenario starts from a clean host: no poold, no guest, dom0 unpinned.
	for p in $(pidof poold); do kill -KILL "$p"; done
	timeout 30 xl vcpu-pin Domain-0 all all
	timeout 30 xl sched-"$SCHED" -d Domain-0 -w 256 -c 0 >/dev/null
	for d in $(timeout 30 xl list | awk 'NR > 1 && $2 != 0 { print $2 }'); do
		timeout 30 xl destroy "$d" >/dev/null 2>&1
	done
	say "clean t=$(uptime_s)"
done
say "end rc=$total t=$(uptime_s)"
sync
poweroff -f
sleep 60
