/* The control protocol's messages: request decoding, replies, events, error classes. */
#include "ctl/proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "poold-protocol.h"
#include "ctl/cmd.h"
#include "poold/engine.h"
#include "util/log.h"

/* An error's desc: the message and, for a -errno, its strerror. */
#define DESC_MAX (PERR_MSG_MAX + 128)

/* The one table from internal codes to the stable class names clients see. */
static const char *const error_classes[CTL_E_MAX] = {
    [POOLD_E_INVALID] = POOLD_ERR_INVALID,
    [POOLD_E_NOTFOUND] = POOLD_ERR_NOT_FOUND,
    [POOLD_E_EXISTS] = POOLD_ERR_EXISTS,
    [POOLD_E_BUSY] = POOLD_ERR_BUSY,
    [POOLD_E_NOCPU] = POOLD_ERR_NO_CPU,
    [POOLD_E_PROTECTED] = POOLD_ERR_PROTECTED,
    [POOLD_E_HYPERVISOR] = POOLD_ERR_HYPERVISOR,
    [POOLD_E_STATE] = POOLD_ERR_STATE,
    /* Only the state file or config can be corrupt; either is the state's problem. */
    [POOLD_E_CORRUPT] = POOLD_ERR_STATE,
    [CTL_E_PROTOCOL] = POOLD_ERR_PROTOCOL,
    [CTL_E_NOCOMMAND] = POOLD_ERR_COMMAND_NOT_FOUND,
    [CTL_E_TOOMANY] = POOLD_ERR_TOO_MANY_CLIENTS,
    [CTL_E_DENIED] = POOLD_ERR_PERMISSION_DENIED,
};

const char *ctl_error_class(int code)
{
	if (code > 0 && code < CTL_E_MAX && error_classes[code] != NULL)
		return error_classes[code];
	return POOLD_ERR_GENERIC;
}

/* Names a JSON value's type the way a message to a user should. */
static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0 when there is none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, past U+10FFFF: what jansson refuses too. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * Makes a JSON string of a message in which a cut (a "%.64s" of a name, a
 * full buffer) may have split a UTF-8 sequence, at its end or in its middle:
 * each byte that is not part of a valid sequence becomes U+FFFD, so that the
 * rest of the message still says what was wrong.
 */
static json_t *json_string_valid(const char *s)
{
	static const char repl[] = "\xef\xbf\xbd";
	char out[3 * DESC_MAX + 1];
	size_t n = strlen(s), o = 0, len;

	for (size_t i = 0; i < n && o + sizeof(repl) <= sizeof(out);) {
		len = utf8_seq((const unsigned char *)s + i, n - i);
		if (len == 0) {
			memcpy(out + o, repl, sizeof(repl) - 1);
			o += sizeof(repl) - 1;
			i++;
		} else if (o + len < sizeof(out)) {
			memcpy(out + o, s + i, len);
			o += len;
			i += len;
		} else {
			break;
		}
	}
	return json_stringn(out, o);
}

void ctl_request_fini(struct ctl_request *req)
{
	json_decref(req->root);
	json_decref(req->args);
	req->root = NULL;
	req->args = NULL;
	req->id = NULL;
	req->cmd = NULL;
}

/* Lists what c accepts, for the message about an argument it does not know. */
static void args_list(const struct ctl_cmd *c, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (const struct ctl_arg *a = c->args; a != NULL && a->name != NULL; a++) {
		int n = snprintf(buf + off, len - off, "%s%s", off ? ", " : "", a->name);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += n;
	}
}

int ctl_args_check(const struct ctl_cmd *c, json_t *args, struct perr *e)
{
	const struct ctl_arg *a;
	const char *key;
	json_t *v;
	char list[128];
	bool ok;

	json_object_foreach (args, key, v) {
		a = ctl_cmd_arg(c, key);
		if (a == NULL) {
			args_list(c, list, sizeof(list));
			if (list[0] == '\0')
				return perr_set(e, POOLD_E_INVALID,
				                "%s takes no arguments, but got '%s'", c->name,
				                key);
			return perr_set(e, POOLD_E_INVALID, "%s has no argument '%s': it takes %s",
			                c->name, key, list);
		}
		switch (a->type) {
		case CTL_ARG_STRING:
			ok = json_is_string(v);
			break;
		case CTL_ARG_INT:
			ok = json_is_integer(v);
			break;
		case CTL_ARG_BOOL:
			ok = json_is_boolean(v);
			break;
		case CTL_ARG_DOMAIN:
			ok = json_is_string(v) || json_is_integer(v);
			break;
		case CTL_ARG_OBJECT:
			ok = json_is_object(v);
			break;
		default:
			ok = false;
		}
		if (!ok)
			return perr_set(e, POOLD_E_INVALID,
			                "argument '%s' of %s must be %s, not %s", key, c->name,
			                ctl_arg_type_name(a->type), json_type_name(v));
	}
	for (a = c->args; a != NULL && a->name != NULL; a++)
		if (a->required && json_object_get(args, a->name) == NULL)
			return perr_set(e, POOLD_E_INVALID, "%s needs argument '%s' (%s)", c->name,
			                a->name, ctl_arg_type_name(a->type));
	return 0;
}

int ctl_args_unpack(json_t *args, struct perr *e, const char *fmt, ...)
{
	json_error_t err;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = json_vunpack_ex(args, &err, JSON_STRICT, fmt, ap);
	va_end(ap);
	if (r != 0)
		return perr_set(e, POOLD_E_INVALID, "bad arguments: %s", err.text);
	return 0;
}

int ctl_request_decode(const char *line, size_t len, struct ctl_request *req, struct perr *e)
{
	json_error_t err;
	const char *key, *name;
	json_t *v, *exec = NULL;

	memset(req, 0, sizeof(*req));
	if (len > POOLD_LINE_MAX)
		return perr_set(e, CTL_E_PROTOCOL, "request longer than %d bytes", POOLD_LINE_MAX);
	req->root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (req->root == NULL)
		return perr_set(e, CTL_E_PROTOCOL, "request is not JSON: %s (column %d)", err.text,
		                err.column);
	if (!json_is_object(req->root))
		return perr_set(e, CTL_E_PROTOCOL, "request is %s, not a JSON object",
		                json_type_name(req->root));
	req->id = json_object_get(req->root, "id");

	/* Check the envelope whole first, so that a typo is not silently ignored. */
	json_object_foreach (req->root, key, v) {
		if (strcmp(key, "execute") == 0)
			exec = v;
		else if (strcmp(key, "arguments") == 0)
			req->args = json_incref(v);
		else if (strcmp(key, "id") != 0)
			return perr_set(
			    e, CTL_E_PROTOCOL,
			    "request has unknown member '%s': use execute, arguments, id", key);
	}
	if (exec == NULL)
		return perr_set(e, CTL_E_PROTOCOL, "request has no \"execute\": name a command");
	if (!json_is_string(exec))
		return perr_set(e, CTL_E_PROTOCOL, "\"execute\" must be a string, not %s",
		                json_type_name(exec));
	if (req->args == NULL)
		req->args = json_object();
	else if (!json_is_object(req->args))
		return perr_set(e, CTL_E_PROTOCOL, "\"arguments\" must be an object, not %s",
		                json_type_name(req->args));
	if (req->args == NULL)
		return perr_set(e, -ENOMEM, "out of memory");

	name = json_string_value(exec);
	req->cmd = ctl_cmd_find(name);
	if (req->cmd == NULL)
		return perr_set(e, CTL_E_NOCOMMAND, "no command '%.64s': query-commands lists them",
		                name);
	return ctl_args_check(req->cmd, req->args, e);
}

/* Adds the id, when there is one, to a reply. */
static json_t *with_id(json_t *msg, json_t *id)
{
	if (msg != NULL && id != NULL)
		json_object_set(msg, "id", id);
	return msg;
}

json_t *ctl_reply_return(json_t *ret, json_t *id)
{
	if (ret == NULL)
		ret = json_object();
	return with_id(json_pack("{s:o}", "return", ret), id);
}

json_t *ctl_reply_error(int code, const struct perr *e, json_t *id)
{
	char desc[DESC_MAX];
	const char *msg = e != NULL ? e->msg : "";

	if (code < 0 && msg[0] != '\0')
		snprintf(desc, sizeof(desc), "%s: %s", msg, strerror(-code));
	else if (code < 0)
		snprintf(desc, sizeof(desc), "%s", strerror(-code));
	else if (msg[0] != '\0')
		snprintf(desc, sizeof(desc), "%s", msg);
	else
		snprintf(desc, sizeof(desc), "%s", perr_name(code));
	return with_id(json_pack("{s:{s:s,s:o}}", "error", "class", ctl_error_class(code), "desc",
	                         json_string_valid(desc)),
	               id);
}

json_t *ctl_greeting(void)
{
	return json_pack("{s:{s:i,s:s}}", "poold", "protocol", POOLD_PROTOCOL_VERSION, "version",
	                 POOLD_VERSION);
}

json_t *ctl_event_new(const char *name, json_t *data)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	if (data == NULL)
		data = json_object();
	return json_pack("{s:s,s:o,s:{s:I,s:I}}", "event", name, "data", data, "timestamp",
	                 "seconds", (json_int_t)tv.tv_sec, "microseconds", (json_int_t)tv.tv_usec);
}

char *ctl_encode(const json_t *msg, size_t *len)
{
	size_t n = json_dumpb(msg, NULL, 0, JSON_COMPACT);
	char *buf;

	if (n == 0)
		return NULL;
	buf = malloc(n + 1);
	if (buf == NULL)
		return NULL;
	if (json_dumpb(msg, buf, n, JSON_COMPACT) != n) {
		free(buf);
		return NULL;
	}
	/* Compact output escapes every newline in strings: the one added ends the message. */
	buf[n] = '\n';
	*len = n + 1;
	return buf;
}

json_t *ctl_handle_line(struct engine *eng, const char *line, size_t len, unsigned *out)
{
	return ctl_handle_line_access(eng, line, len, CTL_ACCESS_FULL, out);
}

/* Decodes and checks a line, then runs it unless cached says its reply is known already. */
static int handle(struct engine *eng, const char *line, size_t len, enum ctl_access access,
                  struct ctl_request *req, json_t **ret, struct perr *e, bool cached)
{
	int r, denied;

	r = ctl_request_decode(line, len, req, e);
	/* Over an argument error too: a command refused here is refused whatever its arguments. */
	if (req->cmd != NULL) {
		denied = ctl_cmd_check_access(req->cmd, (int)access, e);
		if (denied != 0)
			r = denied;
	}
	if (r != 0) {
		log_debug("bad request: %s", e->msg);
		return r;
	}
	if (cached && (req->cmd->flags & CTL_CMD_CACHEABLE))
		return 0;
	r = req->cmd->fn(eng, req->args, ret, e);
	if (r < 0)
		log_warnx("%s failed: %s%s%s", req->cmd->name, e->msg, e->msg[0] ? ": " : "",
		          strerror(-r));
	else if (r > 0)
		log_debug("%s refused: %s", req->cmd->name, e->msg);
	else if (req->cmd->flags & CTL_CMD_MUTATING)
		log_info("%s done", req->cmd->name);
	return r;
}

/* The reply to a request that failed with r. */
static json_t *reply_error(int r, const struct perr *e, const struct ctl_request *req, size_t len,
                           unsigned *out)
{
	json_t *reply = ctl_reply_error(r, e, req->id);

	if (len > POOLD_LINE_MAX)
		*out |= CTL_OUT_CLOSE;
	return reply;
}

/* The reply to a request that ran with outcome r (ret: its result); ends the request. */
static json_t *reply_of(int r, json_t *ret, const struct perr *e, struct ctl_request *req,
                        size_t len, unsigned *out)
{
	json_t *reply;

	if (r == 0) {
		reply = ctl_reply_return(ret, req->id);
		if (req->cmd->flags & CTL_CMD_SUBSCRIBE)
			*out |= CTL_OUT_SUBSCRIBE;
	} else {
		json_decref(ret);
		reply = reply_error(r, e, req, len, out);
	}
	ctl_request_fini(req);
	if (reply == NULL)
		*out |= CTL_OUT_CLOSE;
	return reply;
}

/* Encodes and frees a reply; NULL (and CTL_OUT_CLOSE) when it can't. */
static char *reply_encoded(json_t *reply, size_t *outlen, unsigned *out)
{
	char *text = reply != NULL ? ctl_encode(reply, outlen) : NULL;

	json_decref(reply);
	if (text == NULL)
		*out |= CTL_OUT_CLOSE;
	return text;
}

json_t *ctl_handle_line_access(struct engine *eng, const char *line, size_t len,
                               enum ctl_access access, unsigned *out)
{
	struct ctl_request req;
	struct perr e = {0};
	json_t *ret = NULL;
	int r;

	*out = 0;
	r = handle(eng, line, len, access, &req, &ret, &e, false);
	return reply_of(r, ret, &e, &req, len, out);
}

void ctl_cache_fini(struct ctl_cache *c, size_t n)
{
	for (size_t i = 0; c != NULL && i < n; i++) {
		free(c[i].text);
		if (c[i].build != NULL)
			free(c[i].build->buf);
		free(c[i].build);
		c[i] = (struct ctl_cache){0};
	}
}

/* Adds a slice to slot's listing; once it is whole, it becomes the slot's text. */
static void slot_step(const struct engine *eng, struct ctl_cache *slot, const struct ctl_cmd *cmd)
{
	struct ctl_slice *sl = slot->build;

	if (!cmd->slice(eng, sl, CTL_SLICE_ITEMS))
		return;
	free(slot->text);
	if (sl->failed) {
		log_warnx("%s: out of memory for the listing", cmd->name);
		free(sl->buf);
		slot->text = NULL;
		slot->len = 0;
	} else {
		slot->text = sl->buf;
		slot->len = sl->len;
	}
	/* What moved while it was made is in the next one. */
	slot->gen = slot->build_gen;
	free(sl);
	slot->build = NULL;
}

bool ctl_cache_step(const struct engine *eng, struct ctl_cache *cache, size_t n)
{
	bool more = false;

	for (size_t i = 0; i < n; i++) {
		if (cache[i].build == NULL)
			continue;
		slot_step(eng, &cache[i], ctl_cmd_table[i]);
		more |= cache[i].build != NULL;
	}
	return more;
}

bool ctl_cache_building(const struct ctl_cache *cache, size_t i)
{
	return cache[i].build != NULL;
}

/* {"return":TEXT,"id":ID}\n around a cached result. */
static char *reply_around(const struct ctl_cache *slot, json_t *id, size_t *outlen)
{
	static const char head[] = "{\"return\":";
	char *idtext = NULL, *buf;
	size_t n, idlen = 0;

	if (id != NULL) {
		idtext = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY);
		if (idtext == NULL)
			return NULL;
		idlen = strlen(idtext);
	}
	n = sizeof(head) - 1 + slot->len + (id != NULL ? 6 + idlen : 0) + 2;
	buf = malloc(n);
	if (buf != NULL) {
		char *p = buf;

		memcpy(p, head, sizeof(head) - 1);
		p += sizeof(head) - 1;
		memcpy(p, slot->text, slot->len);
		p += slot->len;
		if (id != NULL) {
			memcpy(p, ",\"id\":", 6);
			p += 6;
			memcpy(p, idtext, idlen);
			p += idlen;
		}
		*p++ = '}';
		*p++ = '\n';
		*outlen = (size_t)(p - buf);
	}
	free(idtext);
	return buf;
}

char *ctl_handle_line_encoded(struct engine *eng, const char *line, size_t len,
                              enum ctl_access access, struct ctl_cache *cache, bool built,
                              size_t *outlen, unsigned *out)
{
	struct ctl_request req;
	struct perr e = {0};
	struct ctl_cache *slot;
	json_t *ret = NULL;
	char *text;
	int r;

	*out = 0;
	r = handle(eng, line, len, access, &req, &ret, &e, cache != NULL);
	if (r != 0 || !(req.cmd->flags & CTL_CMD_CACHEABLE) || cache == NULL)
		return reply_encoded(reply_of(r, ret, &e, &req, len, out), outlen, out);
	/* A listing: its text is kept until the model moves. */
	slot = &cache[ctl_cmd_index(req.cmd)];
	if (slot->build != NULL) {
		/* Being made: the line waits for it with the others. */
		ctl_request_fini(&req);
		*out |= CTL_OUT_WAIT;
		return NULL;
	} else if (built) {
		/* The listing this line waited for, whatever moved since. */
	} else if ((slot->text == NULL || slot->gen != engine_generation(eng)) &&
	           req.cmd->slice != NULL) {
		slot->build = calloc(1, sizeof(*slot->build));
		if (slot->build == NULL) {
			ctl_request_fini(&req);
			*out |= CTL_OUT_CLOSE;
			return NULL;
		}
		slot->build_gen = engine_generation(eng);
		slot_step(eng, slot, req.cmd);
		if (slot->build != NULL) {
			ctl_request_fini(&req);
			*out |= CTL_OUT_WAIT;
			return NULL;
		}
	} else if (slot->text == NULL || slot->gen != engine_generation(eng)) {
		r = req.cmd->fn(eng, req.args, &ret, &e);
		if (r != 0)
			return reply_encoded(reply_of(r, ret, &e, &req, len, out), outlen, out);
		free(slot->text);
		slot->text = json_dumps(ret != NULL ? ret : json_object(), JSON_COMPACT);
		slot->len = slot->text != NULL ? strlen(slot->text) : 0;
		slot->gen = engine_generation(eng);
		json_decref(ret);
	}
	text = slot->text != NULL ? reply_around(slot, req.id, outlen) : NULL;
	ctl_request_fini(&req);
	if (text == NULL)
		*out |= CTL_OUT_CLOSE;
	return text;
}
