/* A fake xensim hypervisor socket for tests: plays a script of replies, records requests. */
#include "fake-xensim.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FAKE_MAX 32

struct fake_step {
	enum fake_action action;
	const char *reply; /* without the newline */
};

struct fake {
	char dir[64];
	char path[108];
	int lfd;
	int stop[2];
	pthread_t thread;

	pthread_mutex_t lock;
	struct fake_step steps[FAKE_MAX];
	unsigned nsteps, next;
	char *got[FAKE_MAX];
	unsigned ngot;
	unsigned conns;
};

/* Waits for fd to be readable; false when told to stop. */
static bool fake_wait(struct fake *f, int fd)
{
	struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = f->stop[0], .events = POLLIN}};

	while (poll(p, 2, -1) < 0)
		;
	return !(p[1].revents & POLLIN);
}

/* Plays one script step for a request line; false when the connection is to be closed. */
static bool fake_answer(struct fake *f, int cfd, const char *req)
{
	struct fake_step st = {FAKE_CLOSE, NULL};
	char *line;
	bool ok;

	pthread_mutex_lock(&f->lock);
	if (f->ngot < FAKE_MAX)
		f->got[f->ngot++] = strdup(req);
	if (f->next < f->nsteps)
		st = f->steps[f->next++];
	pthread_mutex_unlock(&f->lock);

	if (st.action == FAKE_CLOSE)
		return false;
	if (st.action == FAKE_SILENT)
		return true;
	if (asprintf(&line, "%s\n", st.reply) < 0)
		return false;
	ok = write(cfd, line, strlen(line)) == (ssize_t)strlen(line);
	free(line);
	return ok;
}

/* Serves one connection until the client closes it or the script says so. */
static void fake_serve(struct fake *f, int cfd)
{
	static char buf[70000];
	size_t len = 0;

	for (;;) {
		char *nl;
		ssize_t r;

		if (!fake_wait(f, cfd))
			return;
		r = read(cfd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			return;
		len += r;
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			*nl = '\0';
			if (!fake_answer(f, cfd, buf))
				return;
			len -= nl + 1 - buf;
			memmove(buf, nl + 1, len);
		}
	}
}

/* Accepts connections one at a time, as the backend makes them. */
static void *fake_main(void *arg)
{
	struct fake *f = arg;

	while (fake_wait(f, f->lfd)) {
		int cfd = accept(f->lfd, NULL, NULL);

		if (cfd < 0)
			continue;
		pthread_mutex_lock(&f->lock);
		f->conns++;
		pthread_mutex_unlock(&f->lock);
		fake_serve(f, cfd);
		close(cfd);
	}
	return NULL;
}

struct fake *fake_start(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct fake *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	strcpy(f->dir, "/tmp/test-hv-sim.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		goto fail;
	snprintf(f->path, sizeof(f->path), "%s/hv.sock", f->dir);
	strcpy(sa.sun_path, f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(f->lfd, 4) < 0 || pipe(f->stop) < 0)
		goto fail;
	pthread_mutex_init(&f->lock, NULL);
	if (pthread_create(&f->thread, NULL, fake_main, f) != 0)
		goto fail;
	return f;
fail:
	free(f);
	return NULL;
}

void fake_stop(struct fake *f)
{
	if (f == NULL)
		return;
	if (write(f->stop[1], "x", 1) == 1)
		pthread_join(f->thread, NULL);
	close(f->lfd);
	close(f->stop[0]);
	close(f->stop[1]);
	for (unsigned i = 0; i < f->ngot; i++)
		free(f->got[i]);
	unlink(f->path);
	rmdir(f->dir);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

const char *fake_path(const struct fake *f)
{
	return f->path;
}

bool fake_add(struct fake *f, enum fake_action a, const char *reply)
{
	bool ok;

	pthread_mutex_lock(&f->lock);
	ok = f->nsteps < FAKE_MAX;
	if (ok)
		f->steps[f->nsteps++] = (struct fake_step){a, reply};
	pthread_mutex_unlock(&f->lock);
	return ok;
}

char *fake_request(struct fake *f, unsigned i)
{
	char *s = NULL;

	pthread_mutex_lock(&f->lock);
	if (i < f->ngot)
		s = strdup(f->got[i]);
	pthread_mutex_unlock(&f->lock);
	return s;
}

unsigned fake_count(struct fake *f, unsigned *conns)
{
	unsigned n;

	pthread_mutex_lock(&f->lock);
	n = f->ngot;
	if (conns != NULL)
		*conns = f->conns;
	pthread_mutex_unlock(&f->lock);
	return n;
}
