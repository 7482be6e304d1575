/* Serves xensim's xenstore on a socket until SIGINT/SIGTERM, for trying the real tools by hand. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "util/log.h"
#include "xensim/xsd.h"

/* SIGINT/SIGTERM stop; SIGUSR1/SIGUSR2 fire @introduceDomain/@releaseDomain. */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	void **ctx = arg;
	struct event_base *base = ctx[0];
	struct xsd *x = ctx[1];

	if (sig == SIGUSR1)
		xsd_fire_special(x, "@introduceDomain");
	else if (sig == SIGUSR2)
		xsd_fire_special(x, "@releaseDomain");
	else
		event_base_loopbreak(base);
}

int main(int argc, char **argv)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
	struct event *ev[4] = {NULL};
	struct event_base *base;
	struct xsd *x = NULL;
	void *ctx[2];
	int r;

	if (argc != 2) {
		fprintf(stderr,
		        "usage: %s SOCKET\n"
		        "  then: XENSTORED_PATH=SOCKET xenstore-ls -p\n",
		        argv[0]);
		return 2;
	}
	log_init("xsd-serve", LOG_LEVEL_DEBUG);
	base = event_base_new();
	if (!base)
		return 1;
	r = xsd_new(&x, base, argv[1]);
	if (r < 0) {
		fprintf(stderr, "xsd-serve: %s: %s\n", argv[1], strerror(-r));
		event_base_free(base);
		return 1;
	}
	ctx[0] = base;
	ctx[1] = x;
	for (int i = 0; i < 4; i++) {
		ev[i] = evsignal_new(base, sigs[i], on_signal, ctx);
		if (!ev[i] || evsignal_add(ev[i], NULL) < 0)
			return 1;
	}
	event_base_dispatch(base);
	for (int i = 0; i < 4; i++)
		event_free(ev[i]);
	xsd_free(x);
	event_base_free(base);
	return 0;
}
