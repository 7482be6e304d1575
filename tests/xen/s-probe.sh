#!/bin/sh
# Probe: does a SIGSTOPped xenstore watcher block xl destroy?
. /tests/lib.sh
now() { cut -d' ' -f1 /proc/uptime; }
guest_create q1 1
guest_create q2 1
xenstore-watch @releaseDomain > $T/w.log 2>&1 &
W=$!
sleep 1
kill -STOP $W
t=$(now); timeout 60 xl destroy q1; echo "xl destroy with a stopped xenstore-watch: rc $? $(now) - $t"
xl list
kill -CONT $W; kill $W
start_poold
wait_until "dom_pool q2"
kill -STOP $POOLD_PID
t=$(now); timeout 60 xl destroy q2; echo "xl destroy with a stopped poold: rc $? $(now) - $t"
xl list
kill -CONT $POOLD_PID
sleep 2
xl list
pc domain-list
echo PASS
