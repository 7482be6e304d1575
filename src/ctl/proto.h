/* The control protocol's messages: request decoding, replies, events, error classes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/error.h"

struct engine;
struct ctl_cmd;
struct ctl_slice;

/* Outcomes of the protocol itself, mapped to classes by the same table as POOLD_E_*. */
enum ctl_error {
	CTL_E_PROTOCOL = POOLD_E_MAX, /* not JSON, not an object, bad envelope, too long */
	CTL_E_NOCOMMAND,              /* execute names no command */
	CTL_E_TOOMANY,                /* past POOLD_CLIENTS_MAX clients */
	CTL_E_DENIED,                 /* a mutating command on the read-only socket */
	CTL_E_MAX,
};

/* A decoded request; the pointers borrow from root. */
struct ctl_request {
	json_t *root;
	json_t *id;   /* NULL when the client sent none */
	json_t *args; /* always an object once decoded */
	const struct ctl_cmd *cmd;
};

/*
 * Decodes one line (without its newline): JSON, an object with a string
 * "execute" naming a command, optional "arguments" checked against the
 * command's argument list, optional "id" of any type. Returns 0, or
 * CTL_E_PROTOCOL, CTL_E_NOCOMMAND or POOLD_E_INVALID with a message; req->id
 * is set whenever the line carried one, so that errors echo it.
 * ctl_request_fini() must follow either way.
 */
int ctl_request_decode(const char *line, size_t len, struct ctl_request *req, struct perr *e);
void ctl_request_fini(struct ctl_request *req);

/* Checks args against c's argument list: unknown, missing or wrong-typed ones. */
int ctl_args_check(const struct ctl_cmd *c, json_t *args, struct perr *e);
/*
 * json_unpack_ex() with JSON_STRICT, for handlers: a failure is
 * POOLD_E_INVALID with jansson's text (args were checked already, so this
 * only catches a handler whose format disagrees with its argument list).
 */
int ctl_args_unpack(json_t *args, struct perr *e, const char *fmt, ...);

/* The stable class name of a POOLD_E_* or CTL_E_* code; GenericError for -errno. */
const char *ctl_error_class(int code);

/* Builds {"return": ret, "id": id}; takes ret (NULL means {}), borrows id. */
json_t *ctl_reply_return(json_t *ret, json_t *id);
/* Builds {"error": {"class", "desc"}, "id": id}; borrows id (may be NULL). */
json_t *ctl_reply_error(int code, const struct perr *e, json_t *id);
/* Builds the greeting a client gets on connect. */
json_t *ctl_greeting(void);
/* Builds an event message stamped with the current time; takes data (NULL means {}). */
json_t *ctl_event_new(const char *name, json_t *data);
/* Encodes a message as one compact line ending in '\n'; free() the result. */
char *ctl_encode(const json_t *msg, size_t *len);

/* What running a line asks of the connection. */
#define CTL_OUT_SUBSCRIBE 0x1 /* the client subscribed to events */
#define CTL_OUT_CLOSE     0x2 /* send the reply, then close */
/*
 * No reply yet: the listing asked for is being made, a slice per turn
 * (ctl_cache_step()); run the line again with built true once it is.
 */
#define CTL_OUT_WAIT      0x4

/* Runs one request line: decodes, dispatches, and returns the reply to send. */
json_t *ctl_handle_line(struct engine *eng, const char *line, size_t len, unsigned *out);

/* What a connection may do, by the socket it came in on. */
enum ctl_access {
	CTL_ACCESS_FULL,     /* the main socket: root, or a member of socket_group */
	CTL_ACCESS_READONLY, /* the read-only socket: no CTL_CMD_MUTATING command */
	CTL_ACCESS_PEER, /* the main socket, a peer neither root nor in socket_group: the same */
};
/* ctl_handle_line() for a connection with the given access. */
json_t *ctl_handle_line_access(struct engine *eng, const char *line, size_t len,
                               enum ctl_access access, unsigned *out);

/* The encoded reply of a CTL_CMD_CACHEABLE command, and the engine generation it is of. */
struct ctl_cache {
	uint64_t gen;
	char *text; /* the "return" value, compact JSON; NULL: none yet */
	size_t len;
	/* A listing with slices (ctl_cmd.slice) being made, and the generation it began at. */
	struct ctl_slice *build;
	uint64_t build_gen;
};
/* Frees n slots' texts. */
void ctl_cache_fini(struct ctl_cache *c, size_t n);
/*
 * ctl_handle_line_access(), encoded as ctl_encode() does. With a cache (one
 * slot per command of ctl_cmd_table[]), a CTL_CMD_CACHEABLE command's reply
 * is built once per engine generation and then only copied. A listing with
 * slices that one slice does not finish returns NULL with CTL_OUT_WAIT; the
 * line run again with built true, once the slot is made, gets that text even
 * if the model moved while it was made.
 */
char *ctl_handle_line_encoded(struct engine *eng, const char *line, size_t len,
                              enum ctl_access access, struct ctl_cache *cache, bool built,
                              size_t *outlen, unsigned *out);
/* Items per slice: a few milliseconds of work at most. */
#define CTL_SLICE_ITEMS 200
/* Adds a slice to every listing being made; returns true while one still is. */
bool ctl_cache_step(const struct engine *eng, struct ctl_cache *cache, size_t n);
/* Whether slot i's listing is still being made. */
bool ctl_cache_building(const struct ctl_cache *cache, size_t i);
