/* The "sim" hypervisor backend: a client of xensim's hypervisor socket (xensim/simproto.h). */
#include "hv/hv.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/uuid.h"
#include "util/log.h"
#include "xensim/simproto.h"

/* How long one request may take, sending and waiting for the reply together. */
#define SIM_TIMEOUT_MS 5000

struct hv_sim {
	struct hv hv;
	char *path;
	int fd; /* -1 while disconnected */
	size_t len;
	char buf[SIMPROTO_LINE_MAX + 1];
};

static struct hv_sim *to_sim(struct hv *hv)
{
	return (struct hv_sim *)((char *)hv - offsetof(struct hv_sim, hv));
}

/* Returns a monotonic clock reading in ms. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Drops the connection: after a timeout or a garbled reply, what comes next is unknown. */
static void sim_disconnect(struct hv_sim *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Connects to xensim's hypervisor socket. */
static int sim_connect(struct hv_sim *s)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(s->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, s->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	s->fd = fd;
	return 0;
}

/* Waits until fd is ready for `events` or the deadline passes. */
static int sim_wait(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};

	for (;;) {
		int64_t left = deadline - now_ms();
		int rc;

		if (left <= 0)
			return -ETIMEDOUT;
		rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return 0;
		if (rc == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* Sends all of buf. */
static int sim_send(struct hv_sim *s, const char *buf, size_t len, int64_t deadline)
{
	while (len > 0) {
		ssize_t w;
		int rc = sim_wait(s->fd, POLLOUT, deadline);

		if (rc < 0)
			return rc;
		/* MSG_NOSIGNAL: a dead xensim must be an error, not SIGPIPE. */
		w = send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		buf += w;
		len -= w;
	}
	return 0;
}

/*
 * Reads one reply line into s->buf (NUL-terminated, without the newline).
 * -ECONNRESET when xensim closed the connection before a whole line.
 */
static int sim_recv_line(struct hv_sim *s, int64_t deadline)
{
	s->len = 0;
	for (;;) {
		char *nl;
		ssize_t r;
		int rc;

		if (s->len >= SIMPROTO_LINE_MAX)
			return -EPROTO;
		rc = sim_wait(s->fd, POLLIN, deadline);
		if (rc < 0)
			return rc;
		r = recv(s->fd, s->buf + s->len, SIMPROTO_LINE_MAX - s->len, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (r == 0)
			return -ECONNRESET;
		nl = memchr(s->buf + s->len, '\n', r);
		s->len += r;
		if (nl != NULL) {
			/* One reply per request: bytes past the newline mean we are out of step. */
			if (nl != s->buf + s->len - 1)
				return -EPROTO;
			*nl = '\0';
			s->len = nl - s->buf;
			return 0;
		}
	}
}

/* True for the failures that mean the connection broke and a new one may work. */
static bool sim_broken(int rc)
{
	return rc == -ECONNRESET || rc == -EPIPE || rc == -ENOTCONN;
}

/* Checks a reply: its "ok" object (new reference) or the errno it carries. */
static int sim_reply(struct hv_sim *s, const char *op, json_t **ok)
{
	json_error_t jerr;
	json_t *r, *v;
	int rc;

	r = json_loadb(s->buf, s->len, 0, &jerr);
	if (r == NULL || !json_is_object(r)) {
		log_debug("sim: %s: reply is not a JSON object", op);
		rc = -EPROTO;
		goto out;
	}
	v = json_object_get(r, "error");
	if (v != NULL) {
		json_int_t no = 0;
		const char *desc = "";

		if (json_unpack_ex(v, &jerr, 0, "{s:I, s?s}", "errno", &no, "desc", &desc) < 0 ||
		    no <= 0 || no > 4095) {
			log_debug("sim: %s: malformed error reply", op);
			rc = -EPROTO;
			goto out;
		}
		log_debug("sim: %s: %s", op, desc);
		rc = -(int)no;
		goto out;
	}
	v = json_object_get(r, "ok");
	if (!json_is_object(v)) {
		log_debug("sim: %s: reply has neither \"ok\" nor \"error\"", op);
		rc = -EPROTO;
		goto out;
	}
	*ok = json_incref(v);
	rc = 0;
out:
	json_decref(r);
	return rc;
}

/*
 * Sends request `req` (reference stolen) and returns the "ok" object of the
 * reply (new reference), or -errno: xensim's own errno, -EPROTO for a
 * garbled reply, -ETIMEDOUT. A broken connection is re-made once.
 */
static int sim_call(struct hv_sim *s, json_t *req, json_t **ok)
{
	char op[32];
	char *line;
	size_t len;
	int rc = 0;

	if (req == NULL)
		return -ENOMEM;
	/* A copy: the request is freed before the reply is read. */
	snprintf(op, sizeof(op), "%s", json_string_value(json_object_get(req, "op")) ?: "?");
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (line == NULL)
		return -ENOMEM;
	len = strlen(line);
	/* json_dumps never writes a newline in compact form, so one ends the request. */
	{
		char *nl = realloc(line, len + 2);

		if (nl == NULL) {
			free(line);
			return -ENOMEM;
		}
		line = nl;
		line[len++] = '\n';
		line[len] = '\0';
	}

	for (int attempt = 0; attempt < 2; attempt++) {
		int64_t deadline = now_ms() + SIM_TIMEOUT_MS;

		if (s->fd < 0) {
			rc = sim_connect(s);
			if (rc < 0)
				break;
		}
		rc = sim_send(s, line, len, deadline);
		if (rc == 0)
			rc = sim_recv_line(s, deadline);
		if (rc == 0)
			break;
		sim_disconnect(s);
		if (!sim_broken(rc))
			break;
		log_debug("sim: connection broke during %s; reconnecting", op);
	}
	free(line);
	if (rc < 0)
		return rc;

	rc = sim_reply(s, op, ok);
	if (rc == -EPROTO)
		sim_disconnect(s);
	return rc;
}

/* Reads an integer member into [0, max]; -EPROTO when absent or out of range. */
static int get_uint(json_t *obj, const char *key, json_int_t max, json_int_t *out)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v))
		return -EPROTO;
	*out = json_integer_value(v);
	if (*out < 0 || *out > max)
		return -EPROTO;
	return 0;
}

/* Names a scheduler the way the protocol does; NULL for kinds without weights. */
static const char *sched_name(enum sched_kind kind)
{
	switch (kind) {
	case SCHED_CREDIT:
		return "credit";
	case SCHED_CREDIT2:
		return "credit2";
	default:
		return NULL;
	}
}

/* Reads the simulated host's cpus. */
static int sim_topology(struct hv *hv, struct topo *out)
{
	json_t *ok = NULL, *cpus, *c;
	size_t i;
	int rc;

	rc = sim_call(to_sim(hv), json_pack("{s:s}", "op", "topology"), &ok);
	if (rc < 0)
		return rc;
	cpus = json_object_get(ok, "cpus");
	if (!json_is_array(cpus)) {
		rc = -EPROTO;
		goto out;
	}
	memset(out, 0, sizeof(*out));
	json_array_foreach (cpus, i, c) {
		json_int_t cpu, socket = 0, core = 0, node = 0;
		int online;

		if (json_unpack(c, "{s:I, s:b, s?I, s?I, s?I}", "cpu", &cpu, "online", &online,
		                "socket", &socket, "core", &core, "node", &node) < 0 ||
		    cpu < 0 || socket < 0 || socket > UINT32_MAX || core < 0 || core > UINT32_MAX ||
		    node < 0 || node > UINT32_MAX) {
			rc = -EPROTO;
			goto out;
		}
		if (cpu >= CPUMAP_MAX) {
			log_warnx("sim: host has cpu %lld; managing only the first %u",
			          (long long)cpu, CPUMAP_MAX);
			continue;
		}
		if (cpu >= out->nr_cpus)
			out->nr_cpus = cpu + 1;
		out->cpu[cpu] = (struct topo_cpu){
		    .online = online,
		    .socket = socket,
		    .core = core,
		    .node = node,
		};
	}
	rc = 0;
out:
	json_decref(ok);
	return rc;
}

/* Orders domains by domid for qsort. */
static int dominfo_cmp(const void *a, const void *b)
{
	const struct hv_dominfo *da = a, *db = b;

	return da->domid < db->domid ? -1 : da->domid > db->domid;
}

/* Lists the simulated domains from `first` on, with cpu_time and xensim's clock at the listing. */
static int sim_list_domains_from(struct hv *hv, uint32_t first, size_t max, struct hv_dominfo **out,
                                 size_t *n, uint64_t *now_ns)
{
	struct hv_dominfo *list = NULL;
	json_t *ok = NULL, *doms, *d;
	json_int_t now;
	size_t i;
	int rc;

	rc = sim_call(to_sim(hv),
	              first > 0 || max > 0 ? json_pack("{s:s, s:I, s:I}", "op", "domains", "first",
	                                               (json_int_t)first, "max", (json_int_t)max)
	                                   : json_pack("{s:s}", "op", "domains"),
	              &ok);
	if (rc < 0)
		return rc;
	doms = json_object_get(ok, "domains");
	if (!json_is_array(doms) || get_uint(ok, "now_ns", INT64_MAX, &now) < 0) {
		rc = -EPROTO;
		goto fail;
	}
	if (json_array_size(doms) > 0) {
		list = calloc(json_array_size(doms), sizeof(*list));
		if (list == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	json_array_foreach (doms, i, d) {
		json_int_t domid, vcpus, cpupool, cpu_time;
		const char *uuid;
		int dying;

		if (!json_is_object(d) || get_uint(d, "domid", UINT32_MAX, &domid) < 0 ||
		    get_uint(d, "vcpus", UINT32_MAX, &vcpus) < 0 ||
		    get_uint(d, "cpupool", UINT32_MAX, &cpupool) < 0 ||
		    get_uint(d, "cpu_time", INT64_MAX, &cpu_time) < 0 ||
		    json_unpack(d, "{s:s, s:b}", "uuid", &uuid, "dying", &dying) < 0 ||
		    uuid_parse(uuid, list[i].uuid) < 0) {
			rc = -EPROTO;
			goto fail;
		}
		list[i].domid = domid;
		list[i].nr_vcpus = vcpus;
		list[i].cpupool = cpupool;
		list[i].cpu_time = (uint64_t)cpu_time;
		list[i].dying = dying;
	}
	if (now_ns != NULL)
		*now_ns = (uint64_t)now;
	*n = json_array_size(doms);
	if (*n > 0)
		qsort(list, *n, sizeof(*list), dominfo_cmp);
	*out = list;
	json_decref(ok);
	return 0;
fail:
	free(list);
	json_decref(ok);
	return rc;
}

/* Lists every simulated domain. */
static int sim_list_domains(struct hv *hv, struct hv_dominfo **out, size_t *n, uint64_t *now_ns)
{
	return sim_list_domains_from(hv, 0, 0, out, n, now_ns);
}

/* Reads the scheduler of a simulated cpupool. */
static int sim_cpupool_sched(struct hv *hv, uint32_t cpupool, enum sched_kind *out)
{
	json_t *ok = NULL;
	const char *sched;
	int rc;

	rc =
	    sim_call(to_sim(hv),
	             json_pack("{s:s, s:I}", "op", "cpupool", "cpupool", (json_int_t)cpupool), &ok);
	if (rc < 0)
		return rc;
	if (json_unpack(ok, "{s:s}", "sched", &sched) < 0) {
		rc = -EPROTO;
	} else {
		if (strcmp(sched, "credit") == 0)
			*out = SCHED_CREDIT;
		else if (strcmp(sched, "credit2") == 0)
			*out = SCHED_CREDIT2;
		else
			*out = SCHED_OTHERS;
	}
	json_decref(ok);
	return rc;
}

/* Parses a cpu (or node) list of a reply; "" is the empty set. */
static int sim_cpus(const char *op, const char *text, struct cpumap *out)
{
	if (text[0] == '\0') {
		cpumap_zero(out);
		return 0;
	}
	if (cpumap_parse(out, text, CPUMAP_MAX, NULL) != 0) {
		log_debug("sim: %s: bad cpu list \"%s\"", op, text);
		return -EPROTO;
	}
	return 0;
}

/* Reads a simulated vCPU's hard and soft affinity. */
static int sim_get_affinity(struct hv *hv, uint32_t domid, unsigned vcpu, struct cpumap *hard,
                            struct cpumap *soft)
{
	json_t *ok = NULL;
	const char *text, *stext = NULL;
	int rc;

	rc = sim_call(to_sim(hv),
	              json_pack("{s:s, s:I, s:I}", "op", "get_affinity", "domid", (json_int_t)domid,
	                        "vcpu", (json_int_t)vcpu),
	              &ok);
	if (rc < 0)
		return rc;
	if (json_unpack(ok, "{s:s, s?s}", "hard", &text, "soft", &stext) < 0 ||
	    (soft != NULL && stext == NULL))
		rc = -EPROTO;
	if (rc == 0)
		rc = sim_cpus("get_affinity", text, hard);
	if (rc == 0 && soft != NULL)
		rc = sim_cpus("get_affinity", stext, soft);
	json_decref(ok);
	return rc;
}

/* Sets a simulated vCPU's hard affinity, and its soft one unless soft is NULL. */
static int sim_set_affinity(struct hv *hv, uint32_t domid, unsigned vcpu, const struct cpumap *hard,
                            const struct cpumap *soft)
{
	char text[CPUMAP_TEXT_MAX], stext[CPUMAP_TEXT_MAX];
	json_t *req, *ok = NULL;
	int rc;

	rc = cpumap_format(hard, text, sizeof(text));
	if (rc >= 0 && soft != NULL)
		rc = cpumap_format(soft, stext, sizeof(stext));
	if (rc < 0)
		return rc;
	req = json_pack("{s:s, s:I, s:I, s:s}", "op", "set_affinity", "domid", (json_int_t)domid,
	                "vcpu", (json_int_t)vcpu, "hard", text);
	if (req != NULL && soft != NULL)
		json_object_set_new(req, "soft", json_string(stext));
	rc = sim_call(to_sim(hv), req, &ok);
	json_decref(ok);
	return rc;
}

static int sim_get_node_affinity(struct hv *hv, uint32_t domid, struct cpumap *nodes)
{
	json_t *ok = NULL;
	const char *text;
	int rc;

	rc = sim_call(
	    to_sim(hv),
	    json_pack("{s:s, s:I}", "op", "get_node_affinity", "domid", (json_int_t)domid), &ok);
	if (rc < 0)
		return rc;
	if (json_unpack(ok, "{s:s}", "nodes", &text) < 0)
		rc = -EPROTO;
	else
		rc = sim_cpus("get_node_affinity", text, nodes);
	json_decref(ok);
	return rc;
}

static int sim_set_node_affinity(struct hv *hv, uint32_t domid, const struct cpumap *nodes)
{
	char text[CPUMAP_TEXT_MAX];
	json_t *ok = NULL;
	int rc;

	rc = cpumap_format(nodes, text, sizeof(text));
	if (rc < 0)
		return rc;
	rc = sim_call(to_sim(hv),
	              json_pack("{s:s, s:I, s:s}", "op", "set_node_affinity", "domid",
	                        (json_int_t)domid, "nodes", text),
	              &ok);
	json_decref(ok);
	return rc;
}

/* Reads a simulated domain's weight and cap under scheduler `kind`. */
static int sim_get_sched(struct hv *hv, uint32_t domid, enum sched_kind kind, unsigned *weight,
                         unsigned *cap)
{
	const char *sched = sched_name(kind);
	json_int_t w, c;
	json_t *ok = NULL;
	int rc;

	if (sched == NULL)
		return -EOPNOTSUPP;
	rc = sim_call(to_sim(hv),
	              json_pack("{s:s, s:I, s:s}", "op", "get_sched", "domid", (json_int_t)domid,
	                        "sched", sched),
	              &ok);
	if (rc < 0)
		return rc;
	if (get_uint(ok, "weight", UINT32_MAX, &w) < 0 || get_uint(ok, "cap", UINT32_MAX, &c) < 0) {
		rc = -EPROTO;
	} else {
		*weight = w;
		*cap = c;
	}
	json_decref(ok);
	return rc;
}

/* Writes a simulated domain's weight and cap under scheduler `kind`. */
static int sim_set_sched(struct hv *hv, uint32_t domid, enum sched_kind kind, unsigned weight,
                         unsigned cap)
{
	const char *sched = sched_name(kind);
	json_t *ok = NULL;
	int rc;

	if (sched == NULL)
		return -EOPNOTSUPP;
	rc = sim_call(to_sim(hv),
	              json_pack("{s:s, s:I, s:s, s:I, s:I}", "op", "set_sched", "domid",
	                        (json_int_t)domid, "sched", sched, "weight", (json_int_t)weight,
	                        "cap", (json_int_t)cap),
	              &ok);
	json_decref(ok);
	return rc;
}

/* Disconnects and frees the backend. */
static void sim_close(struct hv *hv)
{
	struct hv_sim *s = to_sim(hv);

	sim_disconnect(s);
	free(s->path);
	free(s);
}

static const struct hv_ops hv_sim_ops = {
    .name = "sim",
    .topology = sim_topology,
    .list_domains = sim_list_domains,
    .list_domains_from = sim_list_domains_from,
    .cpupool_sched = sim_cpupool_sched,
    .get_affinity = sim_get_affinity,
    .set_affinity = sim_set_affinity,
    .get_node_affinity = sim_get_node_affinity,
    .set_node_affinity = sim_set_node_affinity,
    .get_sched = sim_get_sched,
    .set_sched = sim_set_sched,
    .close = sim_close,
};

/* Connects to xensim now, so that a wrong path fails at start rather than at first use. */
int hv_sim_open(struct hv **out, const char *socket_path)
{
	struct hv_sim *s;
	int rc;

	if (socket_path == NULL || socket_path[0] == '\0')
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->hv.ops = &hv_sim_ops;
	s->fd = -1;
	s->path = strdup(socket_path);
	if (s->path == NULL) {
		free(s);
		return -ENOMEM;
	}
	rc = sim_connect(s);
	if (rc < 0) {
		free(s->path);
		free(s);
		return rc;
	}
	*out = &s->hv;
	return 0;
}
