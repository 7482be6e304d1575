/* The xenstore server tests' fixture: a forked server, a command pipe to its API, helpers. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <xenstore.h>
#include <xen/io/xs_wire.h>

/* The server runs in a child; the parent drives it by socket and by a command pipe. */
struct fixture {
	pid_t pid;
	int cmd; /* lines to the child: "W path value", "P path perms", "R path", "S special", "Q" */
	int ack; /* one reply line per command */
	char dir[64];
	char sock[128];
	struct xs_handle *h;
};

/* cmocka group setup/teardown: fork the server, open a libxenstore handle on it; check it exits cleanly. */
int fx_setup(void **state);
int fx_teardown(void **state);

/* Sends one line to the server's API ("W path value", "P path perms", "R path", "S special", "Q"). */
void fx_sim(struct fixture *f, char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same for commands answering an int (0 or -errno). */
int fx_sim_rc(struct fixture *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fx_stats(struct fixture *f, unsigned long long *requests, unsigned *conns, unsigned *watches);

void fx_expect_event(struct xs_handle *h, const char *path, const char *token);
void fx_expect_no_event(struct xs_handle *h);
void fx_expect_read(struct xs_handle *h, xs_transaction_t t, const char *path, const char *want);
void fx_expect_absent(struct xs_handle *h, xs_transaction_t t, const char *path);
void fx_expect_perms(struct xs_handle *h, const char *path, const char *want);

int fx_raw_connect(struct fixture *f);
void fx_raw_send(int fd, uint32_t type, uint32_t req_id, const void *body, uint32_t len);
uint32_t fx_raw_recv(int fd, struct xsd_sockmsg *m, char *body, size_t size);

/* Runs a shell command; returns its status, its output in out (last newline dropped). */
int fx_run(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
