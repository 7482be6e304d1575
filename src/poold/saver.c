/* The state file's writer thread: images in, one atomic save at a time, completions on the loop. */
#include "poold/saver.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "poold/state.h"

/* The writer needs little stack: state_save() keeps its paths there, the JSON on the heap. */
#define SAVER_STACK (256 * 1024)

struct saver_result {
	uint64_t seq;
	int err;
	char msg[PERR_MSG_MAX];
};

struct saver {
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t work; /* an image is queued, or stop */
	pthread_cond_t idle; /* the thread finished a save */
	char *path;

	/* Under mu: the image waiting (the newest only), the save under way, and what ended. */
	struct state_image *queued;
	uint64_t queued_seq;
	bool busy;
	bool stop;
	uint64_t submitted;
	struct saver_result *res;
	size_t nres, ares;

	/* The loop's side. */
	uint64_t durable;
	int pipe[2];
	struct event *ev;
	saver_done_fn *done;
	void *arg;
};

void state_image_free(struct state_image *img)
{
	if (img == NULL)
		return;
	free(img->pools.pools);
	free(img->doms);
	free(img);
}

/* Records what a save ended with, for the loop; called with mu held. */
static void result_push(struct saver *s, uint64_t seq, int err, const char *msg)
{
	struct saver_result *r;

	if (s->nres == s->ares) {
		size_t a = s->ares > 0 ? 2 * s->ares : 8;

		r = realloc(s->res, a * sizeof(*r));
		if (r == NULL) {
			/* The newest result says as much: the ones before it are covered. */
			if (s->nres == 0)
				return;
			s->nres--;
		} else {
			s->res = r;
			s->ares = a;
		}
	}
	r = &s->res[s->nres++];
	r->seq = seq;
	r->err = err;
	snprintf(r->msg, sizeof(r->msg), "%s", msg != NULL ? msg : "");
}

static void *saver_main(void *arg)
{
	struct saver *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct state_image *img;
		struct perr e = {0};
		uint64_t seq;
		ssize_t w;
		int r;

		while (s->queued == NULL && !s->stop)
			pthread_cond_wait(&s->work, &s->mu);
		if (s->queued == NULL)
			break;
		img = s->queued;
		seq = s->queued_seq;
		s->queued = NULL;
		s->busy = true;
		pthread_mutex_unlock(&s->mu);

		r = state_save(s->path, &img->pools, img->doms, img->n, &e);
		state_image_free(img);
		/* The JSON of a save is many MiB at 10,000 domains: its arena gives them back. */
		malloc_trim(0);

		pthread_mutex_lock(&s->mu);
		result_push(s, seq, r, r != 0 ? e.msg : NULL);
		s->busy = false;
		pthread_cond_broadcast(&s->idle);
		/* A full pipe wakes the loop already: a write that can't go loses nothing. */
		w = write(s->pipe[1], "", 1);
		(void)w;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Reports the saves that ended to done, in order. */
static void saver_report(struct saver *s)
{
	struct saver_result *res;
	size_t n;

	pthread_mutex_lock(&s->mu);
	res = s->res;
	n = s->nres;
	s->res = NULL;
	s->nres = s->ares = 0;
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < n; i++) {
		if (res[i].err == 0 && res[i].seq > s->durable)
			s->durable = res[i].seq;
		if (s->done != NULL)
			s->done(s->arg, res[i].seq, res[i].err, res[i].msg);
	}
	free(res);
}

static void saver_wake(evutil_socket_t fd, short what, void *arg)
{
	char buf[64];

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	saver_report(arg);
}

int saver_open(struct saver **out, struct event_base *base, const char *path, saver_done_fn *done,
               void *arg)
{
	struct saver *s = calloc(1, sizeof(*s));
	pthread_attr_t attr;
	int r;

	if (s == NULL)
		return -ENOMEM;
	s->pipe[0] = s->pipe[1] = -1;
	s->done = done;
	s->arg = arg;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->idle, NULL);
	s->path = strdup(path);
	if (s->path == NULL || pipe2(s->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = s->path == NULL ? -ENOMEM : -errno;
		goto fail;
	}
	s->ev = event_new(base, s->pipe[0], EV_READ | EV_PERSIST, saver_wake, s);
	if (s->ev == NULL || event_add(s->ev, NULL) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, SAVER_STACK);
	r = -pthread_create(&s->thread, &attr, saver_main, s);
	pthread_attr_destroy(&attr);
	if (r < 0)
		goto fail;
	s->started = true;
	*out = s;
	return 0;
fail:
	saver_close(s);
	return r;
}

uint64_t saver_submit(struct saver *s, struct state_image *img)
{
	uint64_t seq;

	pthread_mutex_lock(&s->mu);
	seq = ++s->submitted;
	/* The one waiting is replaced: this image holds all it did, and more. */
	state_image_free(s->queued);
	s->queued = img;
	s->queued_seq = seq;
	pthread_cond_signal(&s->work);
	pthread_mutex_unlock(&s->mu);
	return seq;
}

bool saver_busy(struct saver *s)
{
	bool busy;

	pthread_mutex_lock(&s->mu);
	busy = s->queued != NULL || s->busy;
	pthread_mutex_unlock(&s->mu);
	return busy;
}

uint64_t saver_submitted(const struct saver *s)
{
	return s->submitted;
}

uint64_t saver_durable(const struct saver *s)
{
	return s->durable;
}

void saver_drain(struct saver *s)
{
	if (s == NULL || !s->started)
		return;
	pthread_mutex_lock(&s->mu);
	while (s->queued != NULL || s->busy)
		pthread_cond_wait(&s->idle, &s->mu);
	pthread_mutex_unlock(&s->mu);
	saver_report(s);
}

void saver_close(struct saver *s)
{
	if (s == NULL)
		return;
	if (s->started) {
		saver_drain(s);
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_signal(&s->work);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	if (s->ev != NULL)
		event_free(s->ev);
	if (s->pipe[0] >= 0)
		close(s->pipe[0]);
	if (s->pipe[1] >= 0)
		close(s->pipe[1]);
	state_image_free(s->queued);
	free(s->res);
	free(s->path);
	pthread_cond_destroy(&s->idle);
	pthread_cond_destroy(&s->work);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
