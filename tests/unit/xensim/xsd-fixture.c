/* The xenstore server tests' fixture: a forked server, a command pipe to its API, helpers. */
#include "xsd-fixture.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "xensim/xsd.h"

struct child {
	struct xsd *x;
	struct event_base *base;
	int ack;
};

/* Runs one command line in the child and answers with its result. */
static void child_command(struct child *ch, char *line)
{
	char out[256], *arg = line + 1, *val;
	int r = 0;

	while (*arg == ' ')
		arg++;
	val = strchr(arg, ' ');
	if (val)
		*val++ = '\0';
	switch (line[0]) {
	case 'W':
		r = xsd_write(ch->x, arg, val ? val : "");
		break;
	case 'P':
		r = xsd_set_perms(ch->x, arg, val ? val : "");
		break;
	case 'R':
		r = xsd_rm(ch->x, arg);
		break;
	case 'S':
		xsd_fire_special(ch->x, arg);
		break;
	case 'Q': {
		struct xsd_stats s;

		xsd_get_stats(ch->x, &s);
		snprintf(out, sizeof(out), "%llu %llu %llu %u %u\n", (unsigned long long)s.requests,
		         (unsigned long long)s.writes, (unsigned long long)s.watch_events,
		         s.connections, s.watches);
		(void)!write(ch->ack, out, strlen(out));
		return;
	}
	default:
		r = -EBADMSG;
	}
	snprintf(out, sizeof(out), "%d\n", r);
	(void)!write(ch->ack, out, strlen(out));
}

static void child_read(struct bufferevent *bev, void *arg)
{
	struct child *ch = arg;
	char *line;

	while ((line = evbuffer_readln(bufferevent_get_input(bev), NULL, EVBUFFER_EOL_LF))) {
		child_command(ch, line);
		free(line);
	}
}

/* The parent closed the pipe: the test is over. */
static void child_event(struct bufferevent *bev, short what, void *arg)
{
	struct child *ch = arg;

	event_base_loopbreak(ch->base);
}

/* Serves until the command pipe closes; exits 0 only if everything was freed cleanly. */
static void child_main(const char *sock, int cmd, int ack)
{
	struct child ch = {.ack = ack};
	struct bufferevent *bev;

	ch.base = event_base_new();
	if (!ch.base || xsd_new(&ch.x, ch.base, sock) < 0)
		_exit(2);
	bev = bufferevent_socket_new(ch.base, cmd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, child_read, NULL, child_event, &ch);
	bufferevent_enable(bev, EV_READ);
	(void)!write(ack, "ready\n", 6);
	event_base_dispatch(ch.base);
	bufferevent_free(bev);
	ch.x = xsd_free(ch.x);
	event_base_free(ch.base);
	_exit(access(sock, F_OK) == 0 ? 3 : 0);
}

/* Reads one line from the child; fails the test if it died. */
static void fx_read_line(struct fixture *f, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r = read(f->ack, buf + n, 1);

		assert_int_equal(r, 1);
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
}

/* Sends one command line and reads its answer. */
static void vsim(struct fixture *f, char *out, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static void vsim(struct fixture *f, char *out, size_t size, const char *fmt, va_list ap)
{
	char line[4200];
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);

	assert_true(n > 0 && (size_t)n < sizeof(line) - 1);
	line[n++] = '\n';
	assert_int_equal(write(f->cmd, line, (size_t)n), n);
	fx_read_line(f, out, size);
}

void fx_sim(struct fixture *f, char *out, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsim(f, out, size, fmt, ap);
	va_end(ap);
}

int fx_sim_rc(struct fixture *f, const char *fmt, ...)
{
	char out[64];
	va_list ap;

	va_start(ap, fmt);
	vsim(f, out, sizeof(out), fmt, ap);
	va_end(ap);
	return atoi(out);
}

int fx_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int cmd[2], ack[2];
	char line[64];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-xsd.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/socket", f->dir);
	assert_int_equal(pipe(cmd), 0);
	assert_int_equal(pipe(ack), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		char sock[sizeof(f->sock)];

		/* Nothing of the parent's may look leaked when the child is run under valgrind. */
		memcpy(sock, f->sock, sizeof(sock));
		free(f);
		close(cmd[1]);
		close(ack[0]);
		child_main(sock, cmd[0], ack[1]);
	}
	close(cmd[0]);
	close(ack[1]);
	f->cmd = cmd[1];
	f->ack = ack[0];
	fx_read_line(f, line, sizeof(line));
	assert_string_equal(line, "ready");
	setenv("XENSTORED_PATH", f->sock, 1);
	f->h = xs_open(0);
	assert_non_null(f->h);
	*state = f;
	return 0;
}

int fx_teardown(void **state)
{
	struct fixture *f = *state;
	pid_t pid;
	int status;

	xs_close(f->h);
	close(f->cmd);
	pid = waitpid(f->pid, &status, 0);
	close(f->ack);
	rmdir(f->dir);
	assert_int_equal(pid, f->pid);
	free(f);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return 0;
}

/* Waits up to ms for a watch event on h; NULL if none came. */
static char **fx_wait_event(struct xs_handle *h, int ms)
{
	struct pollfd p = {.fd = xs_fileno(h), .events = POLLIN};

	if (poll(&p, 1, ms) <= 0)
		return NULL;
	return xs_check_watch(h);
}

void fx_expect_event(struct xs_handle *h, const char *path, const char *token)
{
	char **v = fx_wait_event(h, 3000);

	assert_non_null(v);
	assert_string_equal(v[XS_WATCH_PATH], path);
	assert_string_equal(v[XS_WATCH_TOKEN], token);
	free(v);
}

void fx_expect_no_event(struct xs_handle *h)
{
	char **v = fx_wait_event(h, 200);

	if (v)
		fail_msg("unexpected event %s token %s", v[XS_WATCH_PATH], v[XS_WATCH_TOKEN]);
}

void fx_expect_read(struct xs_handle *h, xs_transaction_t t, const char *path, const char *want)
{
	unsigned int len;
	char *v = xs_read(h, t, path, &len);

	assert_non_null(v);
	assert_int_equal(len, strlen(want));
	assert_string_equal(v, want);
	free(v);
}

void fx_expect_absent(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	unsigned int len;

	errno = 0;
	assert_null(xs_read(h, t, path, &len));
	assert_int_equal(errno, ENOENT);
}

/* Checks a node's permissions against "n0 r5"-style text. */
void fx_expect_perms(struct xs_handle *h, const char *path, const char *want)
{
	struct xs_permissions *p;
	unsigned int num;
	char got[256] = "";

	p = xs_get_permissions(h, XBT_NULL, path, &num);
	assert_non_null(p);
	for (unsigned int i = 0; i < num; i++) {
		static const char modes[] = "nrwb"; /* indexed by XS_PERM_READ | XS_PERM_WRITE */
		char one[32];

		assert_true(p[i].perms <= 3);
		snprintf(one, sizeof(one), "%s%c%u", i ? " " : "", modes[p[i].perms], p[i].id);
		strcat(got, one);
	}
	free(p);
	assert_string_equal(got, want);
}

/* Connects a raw socket to the server. */
int fx_raw_connect(struct fixture *f)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	strcpy(sun.sun_path, f->sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

void fx_raw_send(int fd, uint32_t type, uint32_t req_id, const void *body, uint32_t len)
{
	struct xsd_sockmsg m = {.type = type, .req_id = req_id, .len = len};

	assert_int_equal(write(fd, &m, sizeof(m)), sizeof(m));
	if (len)
		assert_int_equal(write(fd, body, len), len);
}

/* Reads one reply; returns its payload length. */
uint32_t fx_raw_recv(int fd, struct xsd_sockmsg *m, char *body, size_t size)
{
	assert_int_equal(recv(fd, m, sizeof(*m), MSG_WAITALL), sizeof(*m));
	assert_true(m->len < size);
	if (m->len)
		assert_int_equal(recv(fd, body, m->len, MSG_WAITALL), m->len);
	body[m->len] = '\0';
	return m->len;
}

/* Parses the child's "Q" answer. */
void fx_stats(struct fixture *f, unsigned long long *requests, unsigned *conns, unsigned *watches)
{
	char out[128];
	unsigned long long writes, events;

	fx_sim(f, out, sizeof(out), "Q");
	assert_int_equal(
	    sscanf(out, "%llu %llu %llu %u %u", requests, &writes, &events, conns, watches), 5);
}

/* Runs a command through the shell and returns its output, trailing newline dropped. */
int fx_run(char *out, size_t size, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	FILE *p;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	if (n && out[n - 1] == '\n')
		out[n - 1] = '\0';
	return pclose(p);
}
