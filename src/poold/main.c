/* poold's entry point: options, config check, daemonizing and exit codes. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "poold-protocol.h"
#include "poold/config.h"
#include "poold/daemon.h"
#include "poold/journal.h"
#include "poold/lock.h"
#include "util/log.h"

#ifndef POOLD_VERSION
#define POOLD_VERSION "0.1.0"
#endif

/* Exit statuses past 0 (ok), 1 (failed) and 2 (usage), as poold(8) lists them. */
enum { EXIT_LOCKED = 3 /* another poold holds the state file's lock */ };

enum {
	OPT_STATE = 256,
	OPT_BACKEND,
	OPT_SIM_SOCKET,
	OPT_XENSTORE,
	OPT_DEFAULT_POOL,
	OPT_VERSION,
	OPT_SOCKET_RO,
};

static const struct option main_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"state", required_argument, NULL, OPT_STATE},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"sim-socket", required_argument, NULL, OPT_SIM_SOCKET},
    {"xenstore", required_argument, NULL, OPT_XENSTORE},
    {"default-pool", required_argument, NULL, OPT_DEFAULT_POOL},
    {"socket-ro", required_argument, NULL, OPT_SOCKET_RO},
    {NULL, 0, NULL, 0},
};

static void main_usage(FILE *out)
{
	fprintf(out,
	        "usage: poold [-dhnv] [-f CONFIG] [-s SOCKET] [--socket-ro PATH] [--state FILE]\n"
	        "             [--backend xen|sim] [--sim-socket PATH] [--xenstore PATH]\n"
	        "             [--default-pool NAME] [--version]\n"
	        "  -d                   stay in the foreground\n"
	        "  -v                   more verbose (repeatable)\n"
	        "  -n                   check the config (strictly: unknown keys fail) and the\n"
	        "                       state file, say whether a poold runs on the state file,\n"
	        "                       then exit; with -v print what the config file sets\n"
	        "  -f CONFIG            config file (default %s)\n"
	        "  -s SOCKET            control socket (default %s)\n"
	        "  --socket-ro PATH     also a read-only control socket, open to every user\n"
	        "                       (default none)\n"
	        "  --state FILE         state file (default %s)\n"
	        "  --backend xen|sim    hypervisor backend (default xen)\n"
	        "  --sim-socket PATH    xensim's hypervisor socket, for --backend sim\n"
	        "  --xenstore PATH      xenstored socket (sets XENSTORED_PATH)\n"
	        "  --default-pool NAME  pool for domains without a known pool (default pool0)\n",
	        POOLD_CONF_DEFAULT, POOLD_SOCKET_DEFAULT, POOLD_STATE_DEFAULT);
}

/* Replaces *dst with a copy of optarg. */
static int main_set(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst != NULL ? 0 : -ENOMEM;
}

/*
 * Parses the command line into cli and counts the -v in *verbose; returns 0,
 * 1 to exit 0 (help), or 2 for a usage error.
 */
static int main_parse(int argc, char **argv, struct poold_config *cli, int *verbose)
{
	int c, r = 0;

	while ((c = getopt_long(argc, argv, "dhnvf:s:", main_options, NULL)) != -1) {
		switch (c) {
		case 'd':
			cli->foreground = true;
			break;
		case 'n':
			cli->check_only = true;
			break;
		case 'v':
			(*verbose)++;
			break;
		case 'f':
			r = main_set(&cli->config_file, optarg);
			break;
		case 's':
			r = main_set(&cli->ctl_socket, optarg);
			break;
		case OPT_SOCKET_RO:
			r = main_set(&cli->ctl_socket_ro, optarg);
			break;
		case OPT_STATE:
			r = main_set(&cli->state_file, optarg);
			break;
		case OPT_BACKEND:
			if (strcmp(optarg, "xen") != 0 && strcmp(optarg, "sim") != 0) {
				fprintf(stderr, "poold: --backend %s: use xen or sim\n", optarg);
				return 2;
			}
			r = main_set(&cli->hv_backend, optarg);
			break;
		case OPT_SIM_SOCKET:
			r = main_set(&cli->sim_socket, optarg);
			break;
		case OPT_XENSTORE:
			r = main_set(&cli->xenstore_path, optarg);
			break;
		case OPT_DEFAULT_POOL:
			if (!pool_name_valid(optarg)) {
				fprintf(stderr,
				        "poold: --default-pool %s: not a pool name (1-64 of "
				        "A-Z a-z 0-9 _ . -)\n",
				        optarg);
				return 2;
			}
			r = main_set(&cli->default_pool, optarg);
			break;
		case 'h':
			main_usage(stdout);
			return 1;
		case OPT_VERSION:
			printf("poold %s (protocol %d)\n", POOLD_VERSION, POOLD_PROTOCOL_VERSION);
			return 1;
		default:
			main_usage(stderr);
			return 2;
		}
		if (r < 0) {
			fprintf(stderr, "poold: out of memory\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "poold: unexpected argument \"%s\"\n", argv[optind]);
		main_usage(stderr);
		return 2;
	}
	/* With -n, -v asks for the listing: the file's log_level is what it shows. */
	if (*verbose > 0 && !cli->check_only)
		cli->log_level = LOG_LEVEL_NOTICE + *verbose;
	return 0;
}

/*
 * Forks into the background. The parent waits on a pipe until the child is
 * ready (exit 0) or failed (exit 1), so that errors still reach the terminal
 * and `poold && poolctl status` works. Returns the write end in the child.
 */
static int main_daemonize(void)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		perror("poold: pipe");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("poold: fork");
		exit(1);
	}
	if (pid > 0) {
		ssize_t n;

		close(fds[1]);
		do
			n = read(fds[0], &c, 1);
		while (n < 0 && errno == EINTR);
		/* EOF without a byte: the child failed and said why on stderr. */
		_exit(n == 1 && c == 'R' ? 0 : 1);
	}
	close(fds[0]);
	if (setsid() < 0)
		perror("poold: setsid");
	if (chdir("/") < 0)
		perror("poold: chdir /");
	return fds[1];
}

/* Tells the waiting parent the daemon is ready and detaches stdio. */
static void main_detach(int fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
	log_use_syslog();
	if (write(fd, "R", 1) < 0)
		log_warn("telling the parent we are ready");
	close(fd);
}

/* Makes a relative path absolute against the directory poold was started in. */
static int main_absolute(char **path)
{
	char *cwd, *abs;

	if (*path == NULL || (*path)[0] == '/' || (*path)[0] == '\0')
		return 0;
	cwd = getcwd(NULL, 0);
	if (cwd == NULL)
		return -errno;
	if (asprintf(&abs, "%s/%s", cwd, *path) < 0) {
		free(cwd);
		return -ENOMEM;
	}
	free(cwd);
	free(*path);
	*path = abs;
	return 0;
}

/* Resolves every path now: a daemon runs in "/" and re-reads poold.conf there. */
static int main_absolute_paths(struct poold_config *c)
{
	char **paths[] = {&c->config_file, &c->sim_socket,    &c->xenstore_path,
	                  &c->ctl_socket,  &c->ctl_socket_ro, &c->state_file};
	int r;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if ((r = main_absolute(paths[i])) < 0)
			return r;
	return 0;
}

/* Builds the effective config: defaults under the file under the command line. */
static int main_config(struct poold_config *cfg, const struct poold_config *cli, struct perr *e)
{
	const char *path = cli->config_file != NULL ? cli->config_file : POOLD_CONF_DEFAULT;
	int r;

	r = config_read(cfg, path, cli->config_file != NULL ? CONFIG_MUST_EXIST : 0, e);
	if (r == 0)
		r = config_merge(cfg, cli);
	if (r == 0)
		r = config_defaults(cfg);
	if (r == 0 && (r = main_absolute_paths(cfg)) < 0)
		perr_set(e, r, "cannot resolve relative paths: %s", strerror(-r));
	return r;
}

/*
 * poold -n: reads the file strictly (an unknown key fails) with every path as
 * given, so that messages name files as the user did; -v prints what the file
 * sets, then the state file's and the lock's checks. Returns the exit status.
 */
static int main_check(const struct poold_config *cli, bool verbose)
{
	const char *path = cli->config_file != NULL ? cli->config_file : POOLD_CONF_DEFAULT;
	unsigned flags = CONFIG_STRICT | (cli->config_file != NULL ? CONFIG_MUST_EXIST : 0);
	struct poold_config file, cfg;
	struct perr e = {0};
	int r, status = 1;

	config_init(&file);
	config_init(&cfg);
	r = config_read(&file, path, flags, &e);
	if (r == 0)
		r = config_merge(&cfg, &file);
	if (r == 0)
		r = config_merge(&cfg, cli);
	if (r == 0)
		r = config_defaults(&cfg);
	if (r != 0) {
		fprintf(stderr, "poold: %s\n", e.msg[0] ? e.msg : strerror(-r));
		goto out;
	}
	if (verbose) {
		if (file.config_file != NULL)
			printf("# config file %s\n", path);
		else
			printf("# config file %s does not exist: built-in defaults\n", path);
		config_print(&file, cli, stdout);
	}
	status = poold_check_state(&cfg, verbose, verbose ? stdout : stderr) != 0;
	lock_report(cfg.state_file, verbose, stdout);
out:
	config_fini(&file);
	config_fini(&cfg);
	return status;
}

int main(int argc, char **argv)
{
	struct poold_config cli, cfg;
	struct poold pd;
	struct perr e = {0};
	int r, ready_fd = -1, status = 0, lock_fd = -1, verbose = 0;

	log_init("poold", LOG_LEVEL_NOTICE);
	if (journal_is_stderr())
		journal_use();
	config_init(&cli);
	config_init(&cfg);
	r = main_parse(argc, argv, &cli, &verbose);
	if (r != 0) {
		config_fini(&cli);
		return r == 1 ? 0 : 2;
	}
	if (cli.log_level >= 0)
		log_set_level(cli.log_level);
	if (cli.check_only) {
		status = main_check(&cli, verbose > 0);
		goto out;
	}
	if ((r = main_absolute_paths(&cli)) < 0) {
		fprintf(stderr, "poold: cannot resolve relative paths: %s\n", strerror(-r));
		config_fini(&cli);
		return 1;
	}

	r = main_config(&cfg, &cli, &e);
	if (r != 0) {
		fprintf(stderr, "poold: %s\n", e.msg[0] ? e.msg : strerror(-r));
		status = 1;
		goto out;
	}
	/* One poold per state file: locked before anything reads the state (lock.c). */
	r = lock_take(&lock_fd, cfg.state_file, &e);
	if (r != 0) {
		fprintf(stderr, "poold: %s\n", e.msg);
		status = r == POOLD_E_BUSY ? EXIT_LOCKED : 1;
		goto out;
	}

	/* Sockets closed by clients must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	if (!cfg.foreground) {
		ready_fd = main_daemonize();
		if (lock_set_pid(lock_fd) < 0)
			log_warn("cannot write the daemon's pid into %s.lock", cfg.state_file);
	}

	memset(&pd, 0, sizeof(pd));
	r = poold_init(&pd, &cfg, &cli, &e);
	if (r != 0) {
		log_err("%s", e.msg[0] ? e.msg : perr_name(r));
		status = 1;
	} else {
		if (ready_fd >= 0)
			main_detach(ready_fd);
		ready_fd = -1;
		if (poold_run(&pd) < 0)
			status = 1;
	}
	poold_fini(&pd);
out:
	if (lock_fd >= 0)
		close(lock_fd);
	config_fini(&cli);
	config_fini(&cfg);
	return status;
}
