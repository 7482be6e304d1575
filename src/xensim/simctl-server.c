/* xensim's hypervisor socket server: the listener, its clients, one reply per request line. */
#include "xensim/simctl.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "xensim/simproto.h"

/* Clients beyond this are turned away; a test harness needs a handful. */
#define SIMCTL_CLIENTS_MAX 64
/* A client that leaves this much unread output is dropped. */
#define SIMCTL_OUTPUT_MAX  (64u << 20)

struct client;

struct simctl {
	struct event_base *base;
	struct sim *sim;
	struct xsd *xsd;
	struct simctl_clock clock;
	struct evconnlistener *lev;
	char *path;
	struct client *clients;
	unsigned nr_clients;
};

struct client {
	struct simctl *ctl;
	struct bufferevent *bev;
	/* A slow call's reply, held until `release` fires; later requests wait behind it. */
	struct evbuffer *held;
	struct event *release;
	struct client *next, **pprev;
};

/* Unlinks a client and closes its connection. */
static void client_free(struct client *cl)
{
	*cl->pprev = cl->next;
	if (cl->next)
		cl->next->pprev = cl->pprev;
	cl->ctl->nr_clients--;
	bufferevent_free(cl->bev);
	if (cl->release)
		event_free(cl->release);
	if (cl->held)
		evbuffer_free(cl->held);
	free(cl);
}

/* Frees a client once its last reply has left. */
static void client_drained(struct bufferevent *bev, void *arg)
{
	client_free(arg);
}

/* Sends a last error and closes once it is out. */
static void client_refuse(struct client *cl, int err, const char *desc)
{
	json_t *reply = simctl_error(err, desc);
	char *line = reply ? json_dumps(reply, JSON_COMPACT) : NULL;

	if (line)
		evbuffer_add_printf(bufferevent_get_output(cl->bev), "%s\n", line);
	free(line);
	json_decref(reply);
	bufferevent_disable(cl->bev, EV_READ);
	bufferevent_setcb(cl->bev, NULL, client_drained, NULL, cl);
	if (evbuffer_get_length(bufferevent_get_output(cl->bev)) == 0)
		client_free(cl);
}

static void client_read(struct bufferevent *bev, void *arg);

/* A slow call's time is up: its reply goes out, then the requests that waited. */
static void client_release(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;

	bufferevent_write_buffer(cl->bev, cl->held);
	bufferevent_enable(cl->bev, EV_READ);
	client_read(cl->bev, cl);
}

/* Holds a reply for delay_ms, reading nothing more meanwhile; 0, or -1 to send it now. */
static int client_hold(struct client *cl, const char *reply, unsigned delay_ms)
{
	struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};

	if (cl->held == NULL)
		cl->held = evbuffer_new();
	if (cl->release == NULL)
		cl->release = evtimer_new(cl->ctl->base, client_release, cl);
	if (cl->held == NULL || cl->release == NULL ||
	    evbuffer_add_printf(cl->held, "%s\n", reply) < 0)
		return -1;
	bufferevent_disable(cl->bev, EV_READ);
	return evtimer_add(cl->release, &tv) < 0 ? -1 : 0;
}

/* Answers every complete line that has arrived. */
static void client_read(struct bufferevent *bev, void *arg)
{
	struct client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(bev);
	unsigned delay_ms = 0;
	size_t len;
	char *line;

	if (cl->release != NULL && evtimer_pending(cl->release, NULL))
		return;
	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		char *reply;

		if (len > SIMPROTO_LINE_MAX) {
			free(line);
			client_refuse(cl, EMSGSIZE, "request line too long");
			return;
		}
		reply = len ? simctl_answer_held(cl->ctl->sim, cl->ctl->xsd, &cl->ctl->clock, line,
		                                 len, &delay_ms)
		            : NULL;
		free(line);
		if (len && reply == NULL) {
			client_refuse(cl, ENOMEM, "out of memory");
			return;
		}
		if (reply && delay_ms > 0 && client_hold(cl, reply, delay_ms) == 0) {
			free(reply);
			return;
		}
		if (reply) {
			evbuffer_add(out, reply, strlen(reply));
			evbuffer_add(out, "\n", 1);
			free(reply);
		}
		if (evbuffer_get_length(out) > SIMCTL_OUTPUT_MAX) {
			log_warnx("hv socket: client does not read its replies: dropped");
			client_free(cl);
			return;
		}
	}
	if (evbuffer_get_length(in) > SIMPROTO_LINE_MAX)
		client_refuse(cl, EMSGSIZE, "request line too long");
}

/* Forgets a client that hung up or failed. */
static void client_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_free(arg);
}

/* Takes a new connection, unless there are too many already. */
static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
	struct simctl *ctl = arg;
	struct client *cl;

	if (ctl->nr_clients >= SIMCTL_CLIENTS_MAX) {
		log_warnx("hv socket: %d clients already: connection refused", SIMCTL_CLIENTS_MAX);
		close(fd);
		return;
	}
	cl = calloc(1, sizeof(*cl));
	if (cl)
		cl->bev = bufferevent_socket_new(ctl->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (cl == NULL || cl->bev == NULL) {
		log_warnx("hv socket: out of memory: connection refused");
		free(cl);
		close(fd);
		return;
	}
	cl->ctl = ctl;
	cl->next = ctl->clients;
	if (cl->next)
		cl->next->pprev = &cl->next;
	cl->pprev = &ctl->clients;
	ctl->clients = cl;
	ctl->nr_clients++;
	bufferevent_setcb(cl->bev, client_read, NULL, client_event, cl);
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
}

/* Binds a listening Unix socket at path, replacing a stale one; returns the fd or -errno. */
static int listen_unix(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT) {
		r = -errno;
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 16) < 0) {
		r = -errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return r;
}

int simctl_new(struct simctl **out, struct event_base *base, struct sim *s, struct xsd *x,
               const char *path, enum simctl_clock_mode mode)
{
	struct simctl *ctl;
	int fd;

	*out = NULL;
	ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL || (ctl->path = strdup(path)) == NULL) {
		free(ctl);
		return -ENOMEM;
	}
	ctl->base = base;
	ctl->sim = s;
	ctl->xsd = x;
	simctl_clock_init(&ctl->clock, mode, NULL);
	fd = listen_unix(path);
	if (fd < 0) {
		free(ctl->path);
		free(ctl);
		return fd;
	}
	ctl->lev = evconnlistener_new(base, accept_cb, ctl, LEV_OPT_CLOSE_ON_FREE, 0, fd);
	if (ctl->lev == NULL) {
		close(fd);
		unlink(path);
		free(ctl->path);
		free(ctl);
		return -ENOMEM;
	}
	*out = ctl;
	return 0;
}

struct simctl *simctl_free(struct simctl *ctl)
{
	if (ctl == NULL)
		return NULL;
	while (ctl->clients)
		client_free(ctl->clients);
	evconnlistener_free(ctl->lev);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
	return NULL;
}
