/*
 * The fuzz driver linked in place of libFuzzer (gcc builds): replays the corpus, then mutates it
 * for a bounded number of runs and seconds with a fixed seed, so every build fuzzes a little.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

/* Present when a sanitizer runtime is linked: it then reports crashes and calls us back. */
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

struct input {
	uint8_t *data;
	size_t len;
	char *name;
};

struct opts {
	long long runs;  /* mutated inputs at most; 0 = replay only */
	double max_time; /* seconds of mutation at most */
	uint64_t seed;
	size_t max_len; /* 0 = from the corpus */
	const char *artifact_prefix;
};

/* What is running now, for the crash report: written before every run, read by handlers. */
static const uint8_t *cur_data;
static size_t cur_len;
static long long cur_run = -1;
static const char *cur_name;
static char crash_path[4096];
static volatile sig_atomic_t dumped;

/* Writes a whole buffer from a signal handler. */
static void put(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w <= 0)
			return;
		p += w;
		len -= (size_t)w;
	}
}

static void put_str(const char *s)
{
	put(2, s, strlen(s));
}

/* Formats n in decimal without stdio, which is not async-signal-safe. */
static void put_num(unsigned long long n)
{
	char buf[24];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n && i > 0);
	put(2, buf + i, sizeof(buf) - i);
}

/* Saves the input that broke and prints it C-escaped, so a CI log alone reproduces it. */
static void dump_input(void)
{
	static const char hex[] = "0123456789abcdef";
	size_t shown = cur_len < 4096 ? cur_len : 4096;
	int fd;

	if (dumped || cur_data == NULL)
		return;
	dumped = 1;
	fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		put(fd, cur_data, cur_len);
		close(fd);
	}
	put_str("\n==== fuzz driver: the failing input (");
	if (cur_run < 0) {
		put_str("corpus file ");
		put_str(cur_name);
	} else {
		put_str("mutated run ");
		put_num((unsigned long long)cur_run);
	}
	put_str(", ");
	put_num(cur_len);
	put_str(" bytes) is saved as ");
	put_str(fd >= 0 ? crash_path : "(could not save it)");
	put_str("; replay it with: <target> -runs=0 FILE\n\"");
	for (size_t i = 0; i < shown; i++) {
		uint8_t c = cur_data[i];
		char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			put(2, &c, 1);
		else
			put(2, esc, sizeof(esc));
	}
	put_str(shown < cur_len ? "\"...\n" : "\"\n");
}

/* A crash without a sanitizer: report, then die of the same signal. */
static void on_signal(int sig)
{
	/* An assert() inside a library may have printed to a silenced stderr: say what hit. */
	put_str("\n==== fuzz driver: signal ");
	put_num((unsigned long long)sig);
	put_str(sig == SIGABRT ? " (abort: a failed check or assert)" : "");
	dump_input();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_handlers(void)
{
	/* A sanitizer catches SEGV and friends itself and calls dump_input when it dies. */
	if (__sanitizer_set_death_callback != NULL)
		__sanitizer_set_death_callback(dump_input);
	else {
		signal(SIGSEGV, on_signal);
		signal(SIGBUS, on_signal);
		signal(SIGFPE, on_signal);
		signal(SIGILL, on_signal);
	}
	/* FUZZ_CHECK aborts, which no sanitizer reports. */
	signal(SIGABRT, on_signal);
}

/* xorshift64*: deterministic across machines and libcs, unlike rand(). */
static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * UINT64_C(2685821657736338717);
}

/* A number in [0, n); n > 0. */
static size_t rnd_below(size_t n)
{
	return (size_t)(rnd() % n);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads a whole file; false (with a message) when it can't. */
static bool read_input(const char *path, struct input *in)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, alloc = 0;

	if (f == NULL) {
		perror(path);
		return false;
	}
	for (;;) {
		if (len == alloc) {
			uint8_t *n = realloc(data, alloc = alloc ? 2 * alloc : 4096);

			if (n == NULL)
				abort();
			data = n;
		}
		size_t r = fread(data + len, 1, alloc - len, f);

		len += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		perror(path);
		fclose(f);
		free(data);
		return false;
	}
	fclose(f);
	in->data = data;
	in->len = len;
	in->name = strdup(path);
	return in->name != NULL;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct input *)a)->name, ((const struct input *)b)->name);
}

/* Adds a file, or every regular file of a directory, to the corpus. */
static bool load_arg(const char *path, struct input **corpus, size_t *n, size_t *alloc)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (stat(path, &st) < 0) {
		perror(path);
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (*n == *alloc) {
			*alloc = *alloc ? 2 * *alloc : 64;
			*corpus = realloc(*corpus, *alloc * sizeof(**corpus));
			if (*corpus == NULL)
				abort();
		}
		if (!read_input(path, &(*corpus)[*n]))
			return false;
		(*n)++;
		return true;
	}
	d = opendir(path);
	if (d == NULL) {
		perror(path);
		return false;
	}
	while ((de = readdir(d)) != NULL) {
		char *sub;
		bool ok;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&sub, "%s/%s", path, de->d_name) < 0)
			abort();
		ok = stat(sub, &st) == 0 && S_ISDIR(st.st_mode) ? true
		                                                : load_arg(sub, corpus, n, alloc);
		free(sub);
		if (!ok) {
			closedir(d);
			return false;
		}
	}
	closedir(d);
	return true;
}

/* Decimal numbers a parser's range checks care about. */
static const char *const magic_numbers[] = {
    "0",
    "1",
    "-1",
    "255",
    "256",
    "1023",
    "1024",
    "4096",
    "65535",
    "65536",
    "2147483647",
    "2147483648",
    "4294967295",
    "4294967296",
    "-2147483649",
    "9223372036854775807",
    "18446744073709551616",
    "1e400",
    "0.5",
    "00",
    "",
};

/* Bytes that end or open a token in the grammars these targets parse. */
static const uint8_t magic_bytes[] = {0,   0xff, 0x7f, 0x80, '\n', '\r', ' ',  '"', '\'', ',',
                                      '-', '^',  '{',  '}',  '[',  ']',  ':',  '=', ';',  '#',
                                      '/', '@',  '\\', '0',  '9',  'a',  0xc3, 0xa9};

/* Little-endian 32-bit values for binary headers (xenstore's length and type fields). */
static const uint32_t magic_u32[] = {
    0, 1, 2, 16, 127, 128, 255, 256, 4095, 4096, 4097, 65535, 0x7fffffff, 0x80000000, 0xffffffff};

/* Makes room for n bytes at pos; false when that would pass max. */
static bool insert_gap(uint8_t *buf, size_t *len, size_t max, size_t pos, size_t n)
{
	if (*len + n > max)
		return false;
	memmove(buf + pos + n, buf + pos, *len - pos);
	*len += n;
	return true;
}

/* Applies one random mutation to buf in place; `other` is another corpus entry to borrow from. */
static void mutate_once(uint8_t *buf, size_t *len, size_t max, const struct input *other)
{
	size_t pos = *len ? rnd_below(*len) : 0, n;

	switch (rnd_below(11)) {
	case 0: /* flip a bit */
		if (*len)
			buf[pos] ^= (uint8_t)(1u << rnd_below(8));
		break;
	case 1: /* any byte */
		if (*len)
			buf[pos] = (uint8_t)rnd();
		break;
	case 2: /* a byte that matters to a grammar */
		if (*len)
			buf[pos] = magic_bytes[rnd_below(sizeof(magic_bytes))];
		break;
	case 3: /* insert a few bytes */
		n = 1 + rnd_below(4);
		pos = rnd_below(*len + 1);
		if (insert_gap(buf, len, max, pos, n))
			for (size_t i = 0; i < n; i++)
				buf[pos + i] = rnd_below(2)
				                   ? (uint8_t)rnd()
				                   : magic_bytes[rnd_below(sizeof(magic_bytes))];
		break;
	case 4: /* delete a range */
		if (*len) {
			n = 1 + rnd_below(*len - pos < 16 ? *len - pos : 16);
			memmove(buf + pos, buf + pos + n, *len - pos - n);
			*len -= n;
		}
		break;
	case 5: /* duplicate a range of itself somewhere */
		if (*len) {
			size_t from = rnd_below(*len);

			n = 1 + rnd_below(*len - from < 64 ? *len - from : 64);
			pos = rnd_below(*len + 1);
			if (insert_gap(buf, len, max, pos, n)) {
				/* the gap may have moved the source */
				size_t src = from >= pos ? from + n : from;
				uint8_t tmp[64];

				if (src < pos && src + n > pos) {
					memcpy(tmp, buf + src, pos - src);
					memcpy(tmp + (pos - src), buf + pos + n, n - (pos - src));
				} else {
					memcpy(tmp, buf + src, n);
				}
				memcpy(buf + pos, tmp, n);
			}
		}
		break;
	case 6: /* splice: our head, the other's tail */
		if (other->len) {
			size_t from = rnd_below(other->len);

			pos = rnd_below(*len + 1);
			n = other->len - from;
			if (pos + n > max)
				n = max - pos;
			memcpy(buf + pos, other->data + from, n);
			*len = pos + n;
		}
		break;
	case 7: /* insert a chunk of the other entry: its tokens are the grammar's */
		if (other->len) {
			size_t from = rnd_below(other->len);

			n = 1 + rnd_below(other->len - from < 32 ? other->len - from : 32);
			pos = rnd_below(*len + 1);
			if (insert_gap(buf, len, max, pos, n))
				memcpy(buf + pos, other->data + from, n);
		}
		break;
	case 8: { /* replace the number at pos (or insert one) with one a range check cares about */
		const char *m = magic_numbers[rnd_below(sizeof(magic_numbers) / sizeof(char *))];
		size_t end = pos, ml = strlen(m);

		while (end < *len && ((buf[end] >= '0' && buf[end] <= '9') || buf[end] == '-'))
			end++;
		if (*len - (end - pos) + ml > max)
			break;
		memmove(buf + pos + ml, buf + end, *len - end);
		memcpy(buf + pos, m, ml);
		*len = *len - (end - pos) + ml;
		break;
	}
	case 9: /* a 32-bit field of a binary header */
		if (*len >= 4) {
			uint32_t v = magic_u32[rnd_below(sizeof(magic_u32) / sizeof(magic_u32[0]))];

			if (rnd_below(4) == 0)
				v = (uint32_t)rnd_below(64);
			pos = rnd_below(*len - 3);
			if (rnd_below(2))
				pos &= ~(size_t)3;
			memcpy(buf + pos, &v, 4);
		}
		break;
	default: /* truncate */
		*len = pos;
		break;
	}
}

static void usage(const char *prog)
{
	fprintf(stderr,
	        "usage: %s [-runs=N] [-max_total_time=SECONDS] [-seed=N] [-max_len=BYTES]\n"
	        "       [-artifact_prefix=PATH] CORPUS_DIR|FILE...\n"
	        "Replays every input, then runs up to N mutated inputs for up to SECONDS\n"
	        "(defaults: 1000000 runs, 2 seconds, seed 1; -runs=0 replays only).\n",
	        prog);
	exit(2);
}

/* Reads the libFuzzer-style flags this driver understands; returns the first other argument. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	*o = (struct opts){.runs = 1000000, .max_time = 2, .seed = 1, .artifact_prefix = "./"};
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *v = strchr(a, '=');
		char *end = NULL;

		if (v == NULL)
			usage(argv[0]);
		v++;
		if (strncmp(a, "-artifact_prefix=", 17) == 0) {
			o->artifact_prefix = v;
			continue;
		}
		errno = 0;
		if (strncmp(a, "-runs=", 6) == 0)
			o->runs = strtoll(v, &end, 10);
		else if (strncmp(a, "-max_total_time=", 16) == 0)
			o->max_time = strtod(v, &end);
		else if (strncmp(a, "-seed=", 6) == 0)
			o->seed = strtoull(v, &end, 10);
		else if (strncmp(a, "-max_len=", 9) == 0)
			o->max_len = strtoull(v, &end, 10);
		else
			usage(argv[0]);
		if (errno || end == v || *end != '\0')
			usage(argv[0]);
	}
	return i;
}

int main(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	struct input *corpus = NULL;
	size_t n = 0, alloc = 0, max = 0;
	struct opts o;
	uint8_t *buf;
	size_t len = 0;
	long long run;
	double start, elapsed;
	int first = parse_opts(argc, argv, &o);

	if (first == argc)
		usage(argv[0]);
	for (int i = first; i < argc; i++)
		if (!load_arg(argv[i], &corpus, &n, &alloc))
			return 1;
	if (n == 0) {
		fprintf(stderr, "%s: the corpus is empty\n", prog);
		return 1;
	}
	/* readdir's order differs between file systems; the seed must mean the same everywhere. */
	qsort(corpus, n, sizeof(*corpus), cmp_name);
	snprintf(crash_path, sizeof(crash_path), "%scrash-%s", o.artifact_prefix, prog);
	install_handlers();

	for (size_t i = 0; i < n; i++) {
		cur_name = corpus[i].name;
		cur_data = corpus[i].data;
		cur_len = corpus[i].len;
		LLVMFuzzerTestOneInput(cur_data, cur_len);
		if (corpus[i].len > max)
			max = corpus[i].len;
	}
	if (o.max_len == 0)
		o.max_len = max * 2 > 4096 ? max * 2 : 4096;
	buf = malloc(o.max_len);
	if (buf == NULL)
		abort();

	rnd_state = o.seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
	start = now();
	for (run = 0; run < o.runs; run++) {
		const struct input *base = &corpus[rnd_below(n)];
		unsigned stack = 1 + (unsigned)rnd_below(4);

		if ((run & 15) == 0 && now() - start >= o.max_time)
			break;
		/* Half the time keep walking from the last mutant, to get further from the corpus. */
		if (run == 0 || rnd_below(2) == 0 || len == 0) {
			len = base->len < o.max_len ? base->len : o.max_len;
			memcpy(buf, base->data, len);
		}
		for (unsigned k = 0; k < stack; k++)
			mutate_once(buf, &len, o.max_len, &corpus[rnd_below(n)]);
		/* A private copy of exactly len bytes lets the sanitizer see any read past the end. */
		uint8_t *in = malloc(len ? len : 1);

		if (in == NULL)
			abort();
		memcpy(in, buf, len);
		cur_run = run;
		cur_data = in;
		cur_len = len;
		LLVMFuzzerTestOneInput(in, len);
		cur_data = NULL;
		free(in);
	}
	elapsed = now() - start;
	printf("%s: %zu corpus inputs replayed, %lld mutated inputs in %.2f s (seed %llu)\n", prog,
	       n, run, elapsed, (unsigned long long)o.seed);
	for (size_t i = 0; i < n; i++) {
		free(corpus[i].data);
		free(corpus[i].name);
	}
	free(corpus);
	free(buf);
	return 0;
}
