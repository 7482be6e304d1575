/* poolctl: the command line client of poold's control socket. */
#include <errno.h>
#include <poll.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poold-protocol.h"
#include "poolctl/client.h"
#include "poolctl/output.h"
#include "poolctl/parser.h"

/* Only main() picks exit statuses; scripts tell these outcomes apart. */
enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,     /* poold answered with an error */
	EXIT_USAGE = 2,       /* the command line is wrong */
	EXIT_UNREACHABLE = 3, /* no poold to talk to, or not one we understand */
	EXIT_DROPPED = 4,     /* monitor: poold dropped us for reading its events too slowly */
};

#define REQUEST_ID         1
/* How long poolctl waits for poold by default: connect, greeting and reply together. */
#define TIMEOUT_DEFAULT_MS 5000

/* Set by SIGINT/SIGTERM so that monitor ends with a clean status. */
static volatile sig_atomic_t interrupted;

/*
 * Says why poolctl gives up, through the output back-end (stderr, or a JSON
 * error object on stdout), and returns the exit status, which names the class.
 */
static int complain(const struct output *out, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	out->error(stdout,
	           status == EXIT_USAGE     ? POOLCTL_ERR_USAGE
	           : status == EXIT_DROPPED ? POOLCTL_ERR_DROPPED
	                                    : POOLCTL_ERR_UNREACHABLE,
	           msg, false);
	return status;
}

static void usage_line(FILE *f, const struct parser_cmd *cmd)
{
	if (cmd != NULL)
		fprintf(f, "usage: poolctl [-s SOCKET] [--json] [--timeout SECS] %s%s%s\n",
		        cmd->name, cmd->usage[0] ? " " : "", cmd->usage);
	else
		fprintf(f, "usage: poolctl [-s SOCKET] [--json] [--timeout SECS] COMMAND [ARGS]\n");
}

/* Prints the usage with every command of the table. */
static void help(FILE *f)
{
	usage_line(f, NULL);
	fprintf(f, "\noptions:\n"
	           "  -s, --socket SOCKET  poold's control socket (default: $POOLD_SOCKET, "
	           "else " POOLD_SOCKET_DEFAULT ")\n"
	           "  -j, --json           print replies, events and errors as JSON on stdout\n"
	           "                       (anywhere on the line; poolctl(8) lists the fields)\n"
	           "  -t, --timeout SECS   give up on a poold that does not answer within SECS\n"
	           "                       (default 5; 0: wait for ever); monitor waits for\n"
	           "                       events without limit\n"
	           "  -h, --help           print this help\n"
	           "  -V, --version        print the version\n"
	           "  --commands [COMMAND] print the command names, or COMMAND's KEY=, --FLAG\n"
	           "                       and --FORM words, one per line (for completion)\n"
	           "\ncommands (a unique prefix will do; poolctl help COMMAND for one):\n");
	parser_print_help(f, NULL, false, NULL, 0);
}

/* poolctl help [COMMAND]: the list of commands, or one command's help, from the table. */
static int help_cmd(const struct output *out, const char *name)
{
	bool json = out == &output_json;
	char err[512];

	if (name == NULL && !json) {
		help(stdout);
		return EXIT_OK;
	}
	if (parser_print_help(stdout, name, json, err, sizeof(err)) < 0)
		return complain(out, EXIT_USAGE, "help: %s", err);
	return EXIT_OK;
}

static void on_signal(int sig)
{
	interrupted = 1;
}

/* Installs handlers without SA_RESTART, so that a blocked read returns. */
static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Says what went wrong reading from poold, for the messages below. */
static const char *why(int r, size_t max, char *buf, size_t len)
{
	switch (r) {
	case -EPIPE:
		return "it closed the connection";
	case -EPROTO:
		return "it closed the connection in the middle of a line";
	case -EBADMSG:
		return "it sent a line that is not a JSON object";
	case -EMSGSIZE:
		snprintf(buf, len, "it sent a line longer than %zu bytes", max);
		return buf;
	}
	return strerror(-r);
}

/* Reads until the reply to our request, skipping events that come before it. */
static int read_reply(struct client *cl, json_t **reply, int64_t deadline)
{
	json_t *msg;
	int r;

	for (;;) {
		r = client_recv(cl, &msg, CLIENT_REPLY_MAX, deadline);
		if (r < 0)
			return r;
		if (json_object_get(msg, "event") == NULL) {
			*reply = msg;
			return 0;
		}
		json_decref(msg);
	}
}

/* Whether msg is the last event of a subscriber poold dropped. */
static bool dropped(json_t *msg)
{
	const char *name = json_string_value(json_object_get(msg, "event"));

	return name != NULL && strcmp(name, POOLD_EV_SUBSCRIPTION_DROPPED) == 0;
}

/* Says why poold dropped monitor and what to do; takes msg. */
static int dropped_status(json_t *msg, const char *path, const struct output *out)
{
	json_t *data = json_object_get(msg, "data");
	char *reason = output_clean(
	    strdup(json_string_value(json_object_get(data, "reason")) ?: "no reason given"));
	int status;

	status = complain(
	    out, EXIT_DROPPED,
	    "poold at %s dropped this monitor (%s): it fell more than %" JSON_INTEGER_FORMAT
	    " bytes behind, and %" JSON_INTEGER_FORMAT
	    " events went unsent \u2014 read monitor's output as it comes "
	    "(not through a stopped pipe), then run monitor again",
	    path, reason ?: "?", json_integer_value(json_object_get(data, "limit")),
	    json_integer_value(json_object_get(data, "dropped")));
	free(reason);
	json_decref(msg);
	return status;
}

/* Prints events until poold goes away or we are interrupted: no timeout here. */
static int monitor(struct client *cl, const char *path, const struct output *out)
{
	char buf[64];
	json_t *msg;
	int r;

	catch_signals();
	for (;;) {
		r = client_recv(cl, &msg, CLIENT_REPLY_MAX, CLIENT_NEVER);
		if (interrupted)
			return EXIT_OK;
		if (r == -EBADMSG) {
			fprintf(stderr,
			        "poolctl: skipped a line from poold that is not a JSON object\n");
			continue;
		}
		if (r < 0)
			return complain(out, EXIT_UNREACHABLE, "lost poold at %s: %s", path,
			                why(r, CLIENT_REPLY_MAX, buf, sizeof(buf)));
		if (json_object_get(msg, "event") != NULL)
			out->event(stdout, msg);
		if (dropped(msg))
			return dropped_status(msg, path, out);
		json_decref(msg);
	}
}

/* Talks to poold: greeting, request, reply, and for monitor the events. */
static int run(const char *path, struct parser_request *req, const struct output *out,
               unsigned timeout_ms)
{
	int64_t deadline = client_deadline(timeout_ms);
	struct client cl;
	json_t *msg = NULL, *e, *ret;
	char err[512], buf[64];
	int r, status;

	r = client_connect(&cl, path, deadline);
	if (r == -ETIMEDOUT)
		return complain(out, EXIT_UNREACHABLE,
		                "%s did not accept the connection within %g s \u2014 is poold "
		                "running and serving? (systemctl status poold; --timeout SECS "
		                "waits longer)",
		                path, timeout_ms / 1000.0);
	if (r < 0)
		return complain(out, EXIT_UNREACHABLE,
		                "cannot connect to %s: %s \u2014 is poold running? "
		                "(systemctl start poold, or -s SOCKET)",
		                path, strerror(-r));
	r = client_recv(&cl, &msg, POOLD_LINE_MAX, deadline);
	if (r < 0 || client_check_greeting(msg, err, sizeof(err)) < 0) {
		if (r == -ETIMEDOUT)
			snprintf(
			    err, sizeof(err),
			    "no greeting from %s within %g s \u2014 is it poold's socket, and is "
			    "poold running? (systemctl status poold)",
			    path, timeout_ms / 1000.0);
		else if (r < 0)
			snprintf(err, sizeof(err),
			         "no greeting from %s: %s \u2014 is it poold's "
			         "socket? (systemctl status poold)",
			         path, why(r, POOLD_LINE_MAX, buf, sizeof(buf)));
		json_decref(msg);
		client_close(&cl);
		return complain(out, EXIT_UNREACHABLE, "%s", err);
	}
	json_decref(msg);

	msg = parser_request_json(req, REQUEST_ID);
	r = msg != NULL ? client_send(&cl, msg) : -ENOMEM;
	json_decref(msg);
	msg = NULL;
	if (r == 0)
		r = read_reply(&cl, &msg, deadline);
	if (r == -ETIMEDOUT) {
		client_close(&cl);
		return complain(out, EXIT_UNREACHABLE,
		                "no reply from poold at %s within %g s \u2014 is poold running? "
		                "(systemctl status poold; --timeout SECS waits longer)",
		                path, timeout_ms / 1000.0);
	}
	if (r < 0) {
		client_close(&cl);
		return complain(out, EXIT_UNREACHABLE, "lost poold at %s: %s", path,
		                why(r, CLIENT_REPLY_MAX, buf, sizeof(buf)));
	}

	e = json_object_get(msg, "error");
	ret = json_object_get(msg, "return");
	if (e != NULL && json_is_object(e)) {
		/* Its own words, but nothing a terminal would act on. */
		char *desc = output_clean(
		    strdup(json_string_value(json_object_get(e, "desc")) ?: "no reason given"));
		char *class = output_clean(
		    strdup(json_string_value(json_object_get(e, "class")) ?: "GenericError"));

		out->error(stdout, class ?: "?", desc ?: "?", true);
		free(desc);
		free(class);
		status = EXIT_REFUSED;
	} else if (e == NULL && json_is_object(ret)) {
		if (out->result(stdout, req->cmd, req->args, ret, err, sizeof(err)) < 0) {
			status = complain(out, EXIT_UNREACHABLE,
			                  "poold at %s sent a reply poolctl can't show: %s (poold "
			                  "and poolctl of different versions? --json shows it as "
			                  "it came)",
			                  path, err);
		} else {
			fflush(stdout);
			status = req->cmd->show == SHOW_MONITOR ? monitor(&cl, path, out) : EXIT_OK;
		}
	} else {
		status = complain(out, EXIT_UNREACHABLE,
		                  "poold at %s sent a reply with neither a return object nor an "
		                  "error object",
		                  path);
	}
	json_decref(msg);
	client_close(&cl);
	return status;
}

/*
 * Waits delay seconds between frames of top; in interactive mode a q typed
 * (or the end of the input) ends it early. Returns true when top should end.
 */
static bool top_wait(double delay, bool keys)
{
	int64_t end = client_deadline((unsigned)(delay * 1000 + 0.5)), now;
	struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
	struct timespec ts;
	char c;

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (interrupted)
			return true;
		if (now >= end)
			return false;
		if (!keys) {
			poll(NULL, 0, (int)(end - now));
			continue;
		}
		if (poll(&pfd, 1, (int)(end - now)) > 0) {
			ssize_t n = read(STDIN_FILENO, &c, 1);

			if (n <= 0 || c == 'q' || c == 'Q')
				return true;
		}
	}
}

/*
 * poolctl top: a frame every delay seconds, each one request on its own
 * connection (so a delay past poold's idle timeout is fine), until -n
 * frames, q, or Ctrl-C. Interactive mode clears the screen before each
 * frame and reads keys without echo; the terminal is put back on the way out.
 */
static int top(const char *path, struct parser_request *req, const struct output *out,
               unsigned timeout_ms)
{
	bool tty = !req->top.batch && isatty(STDIN_FILENO), keys = false;
	struct termios saved, raw;
	int status = EXIT_OK;

	catch_signals();
	if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		raw.c_lflag &= ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		keys = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	for (unsigned long frame = 1;; frame++) {
		if (!req->top.batch)
			fputs("\033[H\033[2J", stdout);
		status = run(path, req, out, timeout_ms);
		fflush(stdout);
		if (interrupted) {
			/* Ctrl-C during a request is the user leaving, not poold lost. */
			status = EXIT_OK;
			break;
		}
		if (status != EXIT_OK || (req->top.frames > 0 && frame >= req->top.frames))
			break;
		if (top_wait(req->top.delay, keys))
			break;
	}
	if (keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return status;
}

/*
 * apply FILE: reads the layout file (- for stdin) and puts its object in
 * the request as "layout", in place of the file's name. Returns 0, or -1 with
 * err naming the file, line and column of what is wrong.
 */
static int load_layout(struct parser_request *req, char *err, size_t len)
{
	const char *path = json_string_value(json_object_get(req->args, "layout"));
	bool in = path != NULL && strcmp(path, "-") == 0;
	FILE *f = in ? stdin : path != NULL ? fopen(path, "r") : NULL;
	json_error_t je;
	json_t *doc;
	char *line;
	size_t n;

	if (f == NULL) {
		snprintf(err, len, "apply: cannot read %s: %s", path != NULL ? path : "?",
		         strerror(errno));
		return -1;
	}
	doc = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	if (!in)
		fclose(f);
	if (doc == NULL) {
		snprintf(err, len,
		         "apply: %s:%d:%d: %s (a layout file is JSON: poolctl(8), LAYOUT FILES)",
		         in ? "stdin" : path, je.line, je.column, je.text);
		return -1;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		snprintf(err, len,
		         "apply: %s: the layout must be a JSON object {\"pools\": [...], ...}",
		         in ? "stdin" : path);
		return -1;
	}
	line = json_dumps(doc, JSON_COMPACT);
	n = line != NULL ? strlen(line) : 0;
	free(line);
	if (n + 256 > POOLD_LINE_MAX) {
		json_decref(doc);
		snprintf(err, len,
		         "apply: %s: the layout is %zu bytes as one line, more than poold reads "
		         "(%d); split it into several files",
		         in ? "stdin" : path, n, POOLD_LINE_MAX);
		return -1;
	}
	json_object_set_new(req->args, "layout", doc);
	return 0;
}

/* Parses --timeout SECS (0 to a day, fractions allowed) into ms; -1 if it is not one. */
static long parse_timeout(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0 && v <= 86400))
		return -1;
	/* A positive value never rounds down to 0, which means no limit. */
	return v > 0 && v < 0.001 ? 1 : (long)(v * 1000 + 0.5);
}

/*
 * Takes every --json (or -j) word out of argv, wherever it is: before the
 * command as an option, or after it among the command's words, which never
 * start with '-' otherwise. The value of -s or -t is left alone.
 */
static bool take_json(int *argc, char **argv)
{
	bool json = false;
	int n = 1;

	for (int i = 1; i < *argc; i++) {
		const char *w = argv[i];

		if (strcmp(w, "--json") == 0 || strcmp(w, "-j") == 0) {
			json = true;
			continue;
		}
		argv[n++] = argv[i];
		if ((strcmp(w, "-s") == 0 || strcmp(w, "--socket") == 0 || strcmp(w, "-t") == 0 ||
		     strcmp(w, "--timeout") == 0) &&
		    i + 1 < *argc)
			argv[n++] = argv[++i];
	}
	argv[n] = NULL;
	*argc = n;
	return json;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"commands", no_argument, NULL, 'C'},
	    {"timeout", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	const struct output *out = &output_text;
	struct parser_request req;
	const char *path = getenv("POOLD_SOCKET");
	char err[512];
	int opt, status;
	long timeout_ms = TIMEOUT_DEFAULT_MS;
	bool commands = false;

	if (path == NULL || path[0] == '\0')
		path = POOLD_SOCKET_DEFAULT;
	if (take_json(&argc, argv))
		out = &output_json;
	/* With --json, getopt's complaints would be text: poolctl says them as JSON instead. */
	opterr = out != &output_json;
	/* '+': options end at the command, so that its own words (--force) reach the parser. */
	while ((opt = getopt_long(argc, argv, "+s:jhVt:", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'j':
			out = &output_json;
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		case 'V':
			printf("poolctl %s (protocol %d)\n", POOLD_VERSION, POOLD_PROTOCOL_VERSION);
			return EXIT_OK;
		case 'C':
			commands = true;
			break;
		case 't':
			timeout_ms = parse_timeout(optarg);
			if (timeout_ms < 0)
				return complain(out, EXIT_USAGE,
				                "--timeout %s: give seconds, 0 to 86400 (0: no "
				                "limit)",
				                optarg);
			break;
		default:
			if (out == &output_json)
				return complain(out, EXIT_USAGE,
				                "unknown option or missing value: %s",
				                argv[optind - 1]);
			usage_line(stderr, NULL);
			return EXIT_USAGE;
		}
	}
	/* For the bash completion: the table's words, without asking poold. */
	if (commands) {
		if (argc - optind > 1 ||
		    parser_print_words(stdout, optind < argc ? argv[optind] : NULL) < 0) {
			fprintf(stderr, "poolctl: --commands [COMMAND]: COMMAND is one of:\n");
			parser_print_words(stderr, NULL);
			return EXIT_USAGE;
		}
		return EXIT_OK;
	}
	if (parser_parse(argc - optind, argv + optind, &req, err, sizeof(err)) < 0) {
		complain(out, EXIT_USAGE, "%s", err);
		if (out != &output_json)
			usage_line(stderr, req.cmd);
		parser_request_fini(&req);
		return EXIT_USAGE;
	}
	/* help is poolctl's own: its table, no poold needed. */
	if (req.cmd->execute == NULL) {
		status = help_cmd(out, json_string_value(json_object_get(req.args, "command")));
		parser_request_fini(&req);
		return status;
	}
	if (req.cmd->show == SHOW_APPLY && load_layout(&req, err, sizeof(err)) < 0) {
		complain(out, EXIT_USAGE, "%s", err);
		parser_request_fini(&req);
		return EXIT_USAGE;
	}
	if (req.cmd->show == SHOW_TOP)
		status = top(path, &req, out, (unsigned)timeout_ms);
	else
		status = run(path, &req, out, (unsigned)timeout_ms);
	parser_request_fini(&req);
	return status;
}
