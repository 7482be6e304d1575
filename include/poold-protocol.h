/* The control protocol between poold and its clients: version, limits, names. */
#pragma once

/*
 * JSON, one object per line, in the style of QEMU's QMP.
 *
 * On connect poold sends a greeting:
 *   {"poold": {"protocol": 1, "version": "0.1.0"}}
 * A client sends:
 *   {"execute": CMD, "arguments": {...}, "id": ANY}     ("arguments", "id" optional)
 * and gets, in order:
 *   {"return": {...}, "id": ANY}
 *   {"error": {"class": CLASS, "desc": TEXT}, "id": ANY}
 * After "subscribe", asynchronous events arrive between replies:
 *   {"event": NAME, "data": {...}, "timestamp": {"seconds": S, "microseconds": U}}
 *
 * A line longer than POOLD_LINE_MAX closes the connection after a
 * ProtocolError. Each socket has its own limit: past POOLD_CLIENTS_MAX
 * clients on the main socket (the last POOLD_CLIENTS_ROOT of them kept for
 * root), or POOLD_CLIENTS_RO_MAX on the read-only one, a new client gets a
 * TooManyClients error and is closed. A client that sends nothing for
 * POOLD_IDLE_SEC and has not subscribed is closed. A subscriber that
 * falls too far behind gets a last subscription-dropped event in place of
 * what it had not read, then the connection closes.
 *
 * poold may also listen on a read-only socket (socket_ro, mode 0666) that
 * speaks the same protocol but refuses every command query-commands marks
 * "mutating" with PermissionDenied.
 */

#define POOLD_PROTOCOL_VERSION 1
/* The release, from meson.project_version() via src/ctl/meson.build's ctl_c_args. */
#ifndef POOLD_VERSION
#define POOLD_VERSION "0.1.0"
#endif
#define POOLD_LINE_MAX       65536
#define POOLD_CLIENTS_MAX    64
#define POOLD_CLIENTS_ROOT   8
#define POOLD_CLIENTS_RO_MAX 64
#define POOLD_IDLE_SEC       60
#define POOLD_SOCKET_DEFAULT "/run/poold/poold.sock"
#define POOLD_STATE_DEFAULT  "/var/lib/poold/state.json"
#define POOLD_CONF_DEFAULT   "/etc/xen/poold.conf"

/* Error classes: stable names, one table maps codes to them (ctl/proto.c). */
#define POOLD_ERR_GENERIC           "GenericError"
/*
 * A line too long or not one JSON object, a member other than execute,
 * arguments and id, an execute not a string, arguments not an object.
 */
#define POOLD_ERR_PROTOCOL          "ProtocolError"
#define POOLD_ERR_COMMAND_NOT_FOUND "CommandNotFound"
#define POOLD_ERR_INVALID           "InvalidArgument"
#define POOLD_ERR_NOT_FOUND         "NotFound"
#define POOLD_ERR_EXISTS            "AlreadyExists"
#define POOLD_ERR_BUSY              "Busy"
#define POOLD_ERR_NO_CPU            "NoFreeCpu"
#define POOLD_ERR_PROTECTED         "Protected"
#define POOLD_ERR_HYPERVISOR        "HypervisorError"
#define POOLD_ERR_STATE             "StateError"
#define POOLD_ERR_TOO_MANY_CLIENTS  "TooManyClients"
#define POOLD_ERR_PERMISSION_DENIED "PermissionDenied" /* mutating, on the read-only socket */

/*
 * Events: their data, every member always there (null where the text says
 * so); poolctl(8), EVENTS, says what each means.
 */
/* {"pool", "action": "created"|"modified"|"destroyed", "cpus", "ncpu", "cap", "share"} */
#define POOLD_EV_POOL_CHANGED         "pool-changed"
/* {"domid", "uuid", "name", "pool", "misplaced", "wanted"} */
#define POOLD_EV_DOMAIN_PLACED        "domain-placed"
/* {"domid", "uuid", "name"} */
#define POOLD_EV_DOMAIN_GONE          "domain-gone"
/* {"domid", "uuid", "name", "pool", "weight", "cap"}: after domain-set */
#define POOLD_EV_DOMAIN_CHANGED       "domain-changed"
/* {"level"}: after log-level, or a reload that changed it */
#define POOLD_EV_LOG_LEVEL_CHANGED    "log-level-changed"
/*
 * {"reason", "dropped", "limit"}: the last a subscriber gets when it fell
 * too far behind; its unsent messages were discarded, the connection closes.
 */
#define POOLD_EV_SUBSCRIPTION_DROPPED "subscription-dropped"
/* Its reasons: more than "limit" bytes of events unread, or of output of any kind. */
#define POOLD_DROP_EVENTS             "events-behind"
#define POOLD_DROP_OUTPUT             "output-behind"
