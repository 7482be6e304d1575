/* poold's messages to the systemd journal with their fields (POOLD_DOMID=, POOLD_POOL=). */
#pragma once

#include <stdbool.h>

/* Whether stderr is the journal's stream (JOURNAL_STREAM names its device and inode). */
bool journal_is_stderr(void);

/*
 * Sends every message through the journal's native protocol from now on, each with
 * PRIORITY=, SYSLOG_IDENTIFIER= and, where known, POOLD_DOMID=, POOLD_POOL=, POOLD_UID= and
 * POOLD_PID= (the client that asked); a message the journal refuses goes to stderr.
 */
void journal_use(void);
