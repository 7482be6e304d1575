/* `xensim ctl`: one table of commands, each a simproto request and a printed answer. */
#include "xensim/cli.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/uuid.h"
#include "xensim/sim.h"
#include "xensim/simproto.h"

/* Seconds to wait for xensim's answer; a run of a big host takes a while. */
#define SIMCLI_TIMEOUT   30
/* Replies may exceed a request line ("show" of a big host); this bounds them. */
#define SIMCLI_REPLY_MAX (64u << 20)

struct cli {
	const char *socket;
	bool json;
	int fd;
};

struct cli_cmd {
	const char *name;
	const char *args;
	const char *help;
	int min_args, max_args; /* after the command name; -1 = any */
	int (*fn)(struct cli *c, int argc, char **argv);
};

static const struct {
	const char *name;
	int err;
} errnames[] = {
    {"EPERM", EPERM},
    {"ENOENT", ENOENT},
    {"ESRCH", ESRCH},
    {"EINTR", EINTR},
    {"EIO", EIO},
    {"E2BIG", E2BIG},
    {"EAGAIN", EAGAIN},
    {"ENOMEM", ENOMEM},
    {"EACCES", EACCES},
    {"EFAULT", EFAULT},
    {"EBUSY", EBUSY},
    {"EEXIST", EEXIST},
    {"ENODEV", ENODEV},
    {"EINVAL", EINVAL},
    {"ENOSPC", ENOSPC},
    {"ERANGE", ERANGE},
    {"ENOSYS", ENOSYS},
    {"EOVERFLOW", EOVERFLOW},
    {"EMSGSIZE", EMSGSIZE},
    {"EOPNOTSUPP", EOPNOTSUPP},
    {"ETIMEDOUT", ETIMEDOUT},
    {"EPROTO", EPROTO},
    {"ECONNREFUSED", ECONNREFUSED},
};

static const char *errno_name(int err)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	return NULL;
}

/* Parses an errno given by name (EINVAL) or number; -1 if neither. */
static int errno_parse(const char *s)
{
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (strcasecmp(errnames[i].name, s) == 0)
			return errnames[i].err;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > 4095)
		return -1;
	return (int)v;
}

/* Parses a decimal number in [min, max]; false if it is not one. */
static bool parse_num(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a usage error and returns the usage exit status. */
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "xensim ctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'xensim ctl --help'.\n");
	return SIMCLI_EXIT_USAGE;
}

static int unreachable(struct cli *c, const char *what, int err)
{
	fprintf(stderr, "xensim ctl: xensim at %s: %s: %s\n", c->socket, what, strerror(err));
	return SIMCLI_EXIT_UNREACHABLE;
}

/* Connects once to the socket; later calls reuse the connection. */
static int connect_sim(struct cli *c)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = SIMCLI_TIMEOUT};

	if (c->fd >= 0)
		return 0;
	if (strlen(c->socket) >= sizeof(sun.sun_path))
		return unreachable(c, "cannot connect", ENAMETOOLONG);
	strcpy(sun.sun_path, c->socket);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return unreachable(c, "cannot connect", errno);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return unreachable(c, "cannot connect", errno);
	return 0;
}

/* Sends a line and reads the reply line into *out (malloc'ed). */
static int exchange(struct cli *c, const char *line, char **out)
{
	size_t len = strlen(line), cap = 4096, n = 0;
	char *buf;

	for (size_t off = 0; off < len;) {
		ssize_t w = send(c->fd, line + off, len - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return unreachable(c, "cannot send", errno);
		off += (size_t)w;
	}
	buf = malloc(cap);
	while (buf) {
		ssize_t r = recv(c->fd, buf + n, cap - n - 1, 0);
		char *nl;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			return unreachable(c, "no reply", r == 0 ? EPIPE : errno);
		}
		n += (size_t)r;
		buf[n] = '\0';
		nl = memchr(buf, '\n', n);
		if (nl) {
			*nl = '\0';
			*out = buf;
			return 0;
		}
		if (n + 1 == cap) {
			char *p = cap < SIMCLI_REPLY_MAX ? realloc(buf, cap * 2) : NULL;

			if (p == NULL)
				free(buf);
			buf = p;
			cap *= 2;
		}
	}
	return unreachable(c, "reply too long", EMSGSIZE);
}

/*
 * Sends req (stolen) and returns the "ok" object in *ok (new reference).
 * An error reply is printed as "ENAME: desc" and gives SIMCLI_EXIT_REFUSED.
 */
static int call(struct cli *c, json_t *req, json_t **ok)
{
	char *line = NULL, *text = NULL;
	json_t *reply, *err;
	json_error_t je;
	int r;

	*ok = NULL;
	r = connect_sim(c);
	if (r == 0) {
		text = json_dumps(req, JSON_COMPACT);
		if (text && asprintf(&line, "%s\n", text) < 0)
			line = NULL;
		free(text);
		text = NULL;
		r = line ? exchange(c, line, &text) : unreachable(c, "request", ENOMEM);
	}
	free(line);
	json_decref(req);
	if (r)
		return r;
	reply = json_loads(text, 0, &je);
	free(text);
	if (reply && (*ok = json_object_get(reply, "ok")) != NULL && json_is_object(*ok)) {
		json_incref(*ok);
		json_decref(reply);
		return 0;
	}
	*ok = NULL;
	err = json_object_get(reply, "error");
	if (err && json_is_integer(json_object_get(err, "errno"))) {
		int n = (int)json_integer_value(json_object_get(err, "errno"));
		const char *name = errno_name(n);
		const char *desc = json_string_value(json_object_get(err, "desc"));

		if (name)
			fprintf(stderr, "xensim ctl: %s: %s\n", name, desc ? desc : strerror(n));
		else
			fprintf(stderr, "xensim ctl: errno %d: %s\n", n, desc ? desc : strerror(n));
		json_decref(reply);
		return SIMCLI_EXIT_REFUSED;
	}
	json_decref(reply);
	return unreachable(c, "reply is not simproto", EPROTO);
}

/* Calls an op and prints its "ok" object with --json; for the commands that print nothing. */
static int call_quiet(struct cli *c, json_t *req)
{
	json_t *ok;
	int r = call(c, req, &ok);

	if (r == 0 && c->json)
		json_dumpf(ok, stdout, JSON_COMPACT), putchar('\n');
	json_decref(ok);
	return r;
}

/* Resolves a domid or a domain name to a domid through "show". */
static int resolve_dom(struct cli *c, const char *arg, long long *domid)
{
	json_t *ok, *d;
	size_t i;
	int r;

	if (parse_num(arg, 0, 0xFFFF, domid))
		return 0;
	r = call(c, json_pack("{s:s}", "op", "show"), &ok);
	if (r)
		return r;
	json_array_foreach (json_object_get(ok, "domains"), i, d) {
		const char *name = json_string_value(json_object_get(d, "name"));

		if (name && strcmp(name, arg) == 0 && !json_is_true(json_object_get(d, "dying"))) {
			*domid = json_integer_value(json_object_get(d, "domid"));
			json_decref(ok);
			return 0;
		}
	}
	json_decref(ok);
	fprintf(stderr,
	        "xensim ctl: ESRCH: no domain named '%s': give a name or domid from 'xensim ctl "
	        "show'\n",
	        arg);
	return SIMCLI_EXIT_REFUSED;
}

/* Turns key=value words into a create request and prints the new domid. */
static int cmd_create(struct cli *c, int argc, char **argv)
{
	json_t *req = json_pack("{s:s, s:s}", "op", "create", "name", argv[1]);
	long long v;
	json_t *ok;
	int r;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		const char *val = eq ? eq + 1 : NULL;
		size_t klen = eq ? (size_t)(eq - a) : strlen(a);

		if (!eq && strcmp(a, "paused") == 0) {
			json_object_set_new(req, "paused", json_true());
		} else if (eq && klen == 5 && strncmp(a, "vcpus", 5) == 0 &&
		           parse_num(val, 1, INT_MAX, &v)) {
			json_object_set_new(req, "vcpus", json_integer(v));
		} else if (eq && klen == 6 && strncmp(a, "weight", 6) == 0 &&
		           parse_num(val, 1, 65535, &v)) {
			json_object_set_new(req, "weight", json_integer(v));
		} else if (eq && klen == 3 && strncmp(a, "cap", 3) == 0 &&
		           parse_num(val, 0, 65535, &v)) {
			json_object_set_new(req, "cap", json_integer(v));
		} else if (eq && klen == 4 && strncmp(a, "pool", 4) == 0 && *val) {
			json_object_set_new(req, "pool", json_string(val));
		} else if (eq && klen == 10 && strncmp(a, "pool-owner", 10) == 0 &&
		           (strcmp(val, "dom0") == 0 || strcmp(val, "guest") == 0)) {
			json_object_set_new(req, "pool_owner", json_string(val));
		} else if (eq && klen == 4 && strncmp(a, "load", 4) == 0 &&
		           parse_num(val, 0, 100, &v)) {
			json_object_set_new(req, "load", json_integer(v));
		} else if (eq && klen == 4 && strncmp(a, "cpus", 4) == 0) {
			json_object_set_new(req, "hard", json_string(val));
		} else if (eq && klen == 4 && strncmp(a, "soft", 4) == 0) {
			json_object_set_new(req, "soft", json_string(val));
		} else if (eq && klen == 5 && strncmp(a, "nodes", 5) == 0) {
			json_object_set_new(req, "nodes", json_string(val));
		} else if (eq && klen == 4 && strncmp(a, "uuid", 4) == 0) {
			if (uuid_parse(val, (uint8_t[16]){0}) < 0) {
				json_decref(req);
				return usage_error(
				    "create: uuid must be 36 characters, 8-4-4-4-12 hex "
				    "digits (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), "
				    "not '%s'",
				    val);
			}
			json_object_set_new(req, "uuid", json_string(val));
		} else {
			json_decref(req);
			return usage_error("create: bad argument '%s'", a);
		}
	}
	r = call(c, req, &ok);
	if (r == 0 && c->json)
		json_dumpf(ok, stdout, JSON_COMPACT), putchar('\n');
	else if (r == 0)
		printf("%lld\n", (long long)json_integer_value(json_object_get(ok, "domid")));
	json_decref(ok);
	return r;
}

/* Runs an op that names just a domain: destroy, pause, unpause. */
static int dom_op(struct cli *c, const char *op, const char *arg)
{
	long long domid;
	int r = resolve_dom(c, arg, &domid);

	if (r)
		return r;
	return call_quiet(c, json_pack("{s:s, s:I}", "op", op, "domid", (json_int_t)domid));
}

static int cmd_destroy(struct cli *c, int argc, char **argv)
{
	return dom_op(c, "destroy", argv[1]);
}

static int cmd_pause(struct cli *c, int argc, char **argv)
{
	return dom_op(c, "pause", argv[1]);
}

static int cmd_unpause(struct cli *c, int argc, char **argv)
{
	return dom_op(c, "unpause", argv[1]);
}

/* Sets how busy a guest is: % of each vCPU's time. */
static int cmd_load(struct cli *c, int argc, char **argv)
{
	long long domid, pct;
	int r;

	if (!parse_num(argv[2], 0, 100, &pct))
		return usage_error("load: PCT must be 0..100 (%% of each vCPU), not '%s'", argv[2]);
	r = resolve_dom(c, argv[1], &domid);
	if (r)
		return r;
	return call_quiet(c, json_pack("{s:s, s:I, s:I}", "op", "load", "domid", (json_int_t)domid,
	                               "load", (json_int_t)pct));
}

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* Prints one domain: the affinity once when every vCPU has the same. */
static void show_dom(json_t *d)
{
	json_t *vcpus = json_object_get(d, "vcpus"), *v;
	const char *first = NULL, *state = "run";
	double secs = (double)num(d, "cpu_time") / 1e9;
	bool same = true;
	size_t i;

	json_array_foreach (vcpus, i, v) {
		const char *h = json_string_value(json_object_get(v, "hard"));

		if (first == NULL)
			first = h;
		else if (h == NULL || strcmp(first, h) != 0)
			same = false;
	}
	if (json_is_true(json_object_get(d, "dying")))
		state = "dying";
	else if (json_is_true(json_object_get(d, "paused")))
		state = "paused";
	else if (json_is_true(json_object_get(d, "idle")))
		state = "idle";
	printf("%-5lld %-16s %-6lld %-5lld %-4lld %-5zu %-6s %-9.3f ", num(d, "domid"),
	       json_string_value(json_object_get(d, "name")), num(d, "weight"), num(d, "cap"),
	       num(d, "load"), json_array_size(vcpus), state, secs);
	if (same) {
		printf("%s\n", first ? first : "");
		return;
	}
	json_array_foreach (vcpus, i, v)
		printf("%s%s", i ? "|" : "", json_string_value(json_object_get(v, "hard")));
	putchar('\n');
}

/* Prints the view as a table, or as simproto's JSON with --json. */
static int cmd_show(struct cli *c, int argc, char **argv)
{
	json_t *ok, *k, *d, *xs;
	size_t i;
	int r;

	r = call(c, json_pack("{s:s}", "op", "show"), &ok);
	if (r)
		return r;
	if (c->json) {
		json_dumpf(ok, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(ok);
		return 0;
	}
	k = json_object_get(ok, "counters");
	printf("sched %s, %zu pCPUs, clock %.3f s, writes %lld (calls: set_affinity %lld, "
	       "set_node_affinity %lld, set_sched %lld; %lld failed), reads %lld\n",
	       json_string_value(json_object_get(ok, "sched")),
	       json_array_size(json_object_get(ok, "cpus")), (double)num(ok, "now_ns") / 1e9,
	       num(k, "writes"), num(k, "set_affinity"), num(k, "set_node_affinity"),
	       num(k, "set_sched"), num(k, "failed"), num(k, "reads"));
	xs = json_object_get(ok, "xenstore");
	if (xs)
		printf("xenstore: %lld requests, %lld writes, %lld watch events, %lld connections, "
		       "%lld watches\n",
		       num(xs, "requests"), num(xs, "writes"), num(xs, "watch_events"),
		       num(xs, "connections"), num(xs, "watches"));
	printf("%-5s %-16s %-6s %-5s %-4s %-5s %-6s %-9s %s\n", "domid", "name", "weight", "cap",
	       "load", "vcpus", "state", "time(s)", "hard affinity per vCPU");
	json_array_foreach (json_object_get(ok, "domains"), i, d)
		show_dom(d);
	json_decref(ok);
	return 0;
}

static int cmd_reset_counters(struct cli *c, int argc, char **argv)
{
	return call_quiet(c, json_pack("{s:s}", "op", "reset_counters"));
}

/* Queues injected failures; errno by name or number. */
static int cmd_fault(struct cli *c, int argc, char **argv)
{
	json_t *req;
	long long v;
	int err = -1;

	if (strcmp(argv[1], "set_affinity") != 0 && strcmp(argv[1], "set_sched") != 0)
		return usage_error("fault: OP is set_affinity or set_sched, not '%s'", argv[1]);
	req = json_pack("{s:s, s:s}", "op", "fault", "target", argv[1]);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (strncmp(a, "errno=", 6) == 0 && (err = errno_parse(a + 6)) > 0) {
			json_object_set_new(req, "errno", json_integer(err));
		} else if (strncmp(a, "count=", 6) == 0 && parse_num(a + 6, 0, UINT32_MAX, &v)) {
			json_object_set_new(req, "count", json_integer(v));
		} else if (strncmp(a, "domid=", 6) == 0 && parse_num(a + 6, 0, 0x7FEF, &v)) {
			json_object_set_new(req, "domid", json_integer(v));
		} else if (strncmp(a, "delay=", 6) == 0 && parse_num(a + 6, 1, 4000, &v)) {
			json_object_set_new(req, "delay_ms", json_integer(v));
		} else {
			json_decref(req);
			return usage_error("fault: bad argument '%s'", a);
		}
	}
	/* errno (or delay) is needed, except to remove faults with count=0 */
	if (json_object_get(req, "errno") == NULL && json_object_get(req, "delay_ms") == NULL &&
	    (json_object_get(req, "count") == NULL ||
	     json_integer_value(json_object_get(req, "count")) != 0)) {
		json_decref(req);
		return usage_error(
		    "fault: errno=N (a number or a name: %s) or delay=MS is required", "EINVAL");
	}
	return call_quiet(c, req);
}

/* Advances simulated time. */
static int cmd_run(struct cli *c, int argc, char **argv)
{
	long long ms;

	if (!parse_num(argv[1], 0, LLONG_MAX, &ms))
		return usage_error("run: MS must be a number of milliseconds, not '%s'", argv[1]);
	return call_quiet(c, json_pack("{s:s, s:I}", "op", "run", "ms", (json_int_t)ms));
}

/* Restarts xensim's xenstore side, or stalls it, for MS milliseconds. */
static int cmd_xs_span(struct cli *c, char **argv, const char *op, const char *key)
{
	const char *ms = argv[1];
	long long v;

	if (!parse_num(ms, 0, 600000, &v))
		return usage_error("%s: MS must be 0..600000 milliseconds, not '%s'", argv[0], ms);
	return call_quiet(c, json_pack("{s:s, s:I}", "op", op, key, (json_int_t)v));
}

static int cmd_xs_restart(struct cli *c, int argc, char **argv)
{
	return cmd_xs_span(c, argv, "xs_restart", "down_ms");
}

static int cmd_xs_stall(struct cli *c, int argc, char **argv)
{
	return cmd_xs_span(c, argv, "xs_stall", "ms");
}

static const struct cli_cmd cmds[] = {
    {"create",
     "NAME [vcpus=N] [pool=POOL] [pool-owner=dom0|guest] [weight=W] [cap=C] [cpus=LIST] "
     "[soft=LIST] [nodes=LIST] [load=PCT] [uuid=UUID] [paused]",
     "Create a domain as libxl does and print its domid. pool= writes the xenstore key "
     "pool, owned by dom0 (default) or by the guest. soft= and nodes= give it the soft "
     "affinity and node affinity libxl's NUMA placement would (default: all cpus, "
     "automatic). load= is how busy the guest is (% of "
     "each vCPU; default 100). uuid= gives it that uuid (xxxxxxxx-xxxx-xxxx-xxxx-"
     "xxxxxxxxxxxx; default: a new one), refused while a live domain has it: destroy and "
     "create again with the same uuid to reboot a guest (it gets a new domid).",
     1, -1, cmd_create},
    {"destroy", "DOMAIN",
     "Destroy a domain (domid or name): its xenstore nodes go, @releaseDomain fires.", 1, 1,
     cmd_destroy},
    {"pause", "DOMAIN", "Pause a domain: it stops using cpu time in run.", 1, 1, cmd_pause},
    {"unpause", "DOMAIN", "Unpause a domain (one created paused, or paused).", 1, 1, cmd_unpause},
    {"load", "DOMAIN PCT",
     "Make a guest busy: each vCPU wants PCT % (0..100) of the time; 0 is idle, as dom0 is.", 2, 2,
     cmd_load},
    {"show", "[--json]",
     "Print the hypervisor's view: clock, counters and per domain weight, cap, load, state, "
     "cpu time, hard affinity (--json: soft and node affinity too).",
     0, 0, cmd_show},
    {"reset-counters", "", "Zero the op counters.", 0, 0, cmd_reset_counters},
    {"fault", "OP [errno=N|delay=MS] [count=N] [domid=N]",
     "Make the next count (default 1) OP calls (set_affinity|set_sched), on domid or any, fail "
     "with errno N (a number or a name like EINVAL), or be slow: take effect and answer after "
     "MS (1..4000) milliseconds; count=0 removes them (no errno needed).",
     2, 5, cmd_fault},
    {"xs-restart", "MS",
     "Restart the xenstore side: drop every xenstore connection (their watches and "
     "transactions), refuse connections for MS milliseconds, then listen again; the store "
     "(nodes, values, permissions) is kept, and domains can be created meanwhile.",
     1, 1, cmd_xs_restart},
    {"xs-stall", "MS",
     "Make the xenstore side stop answering for MS milliseconds: connections stay open, "
     "requests wait.",
     1, 1, cmd_xs_stall},
    {"run", "MS",
     "Advance the clock by MS milliseconds: runnable vCPUs share each pCPU by the "
     "scheduler's rules, each wanting its guest's load.",
     1, 1, cmd_run},
};

/* Prints text word-wrapped to 80 columns, each line indented by `indent` spaces. */
static void print_wrapped(FILE *f, const char *text, int indent)
{
	const char *p = text;

	while (*p) {
		int len = (int)strlen(p), cut = len;

		if (len > 80 - indent) {
			for (cut = 80 - indent; cut > 0 && p[cut] != ' '; cut--)
				;
			if (cut == 0)
				cut = len;
		}
		fprintf(f, "%*s%.*s\n", indent, "", cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

/* Prints the command table as help. */
void simcli_print_commands(FILE *f)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char line[256];

		snprintf(line, sizeof(line), "xensim ctl %s%s%s", cmds[i].name,
		         cmds[i].args[0] ? " " : "", cmds[i].args);
		print_wrapped(f, line, 4);
		print_wrapped(f, cmds[i].help, 8);
		fputc('\n', f);
	}
}

/* Parses the global options, then runs one command of the table. */
int simcli_main(int argc, char **argv)
{
	const char *dir = getenv("XENSIM_DIR");
	struct cli c = {.fd = -1};
	char *args[argc + 1], *def = NULL;
	int n = 0, i = 1, r;

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-S") == 0 && i + 1 < argc) {
			c.socket = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "--json") == 0) {
			c.json = true;
			i++;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("usage: xensim ctl [-S HV_SOCKET] [--json] COMMAND ...\n\n");
			simcli_print_commands(stdout);
			return SIMCLI_EXIT_OK;
		} else {
			return usage_error("unknown option '%s'", argv[i]);
		}
	}
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			c.json = true;
		else
			args[n++] = argv[i];
	}
	args[n] = NULL;
	if (n == 0)
		return usage_error("a COMMAND is needed: create, destroy, show, ...");
	if (c.socket == NULL) {
		if (asprintf(&def, "%s/hv.sock", dir && *dir ? dir : ".") < 0)
			return SIMCLI_EXIT_UNREACHABLE;
		c.socket = def;
	}
	r = -1;
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		const struct cli_cmd *cmd = &cmds[k];

		if (strcmp(cmd->name, args[0]) != 0)
			continue;
		if (n - 1 < cmd->min_args || (cmd->max_args >= 0 && n - 1 > cmd->max_args))
			r = usage_error("usage: xensim ctl %s %s", cmd->name, cmd->args);
		else
			r = cmd->fn(&c, n, args);
		break;
	}
	if (r < 0)
		r = usage_error("unknown command '%s'", args[0]);
	if (c.fd >= 0)
		close(c.fd);
	free(def);
	return r;
}
