/*
 * check_examples.c - runs the programs in examples/ and checks what they
 * print, so that they can never rot (STYLE.md rule 22).
 *
 * The programs are run as child processes: through popen() where reading
 * a pipe is the point, otherwise with fork() and execv() (no shell, so
 * arguments such as an empty --pullers need no quoting), their stdout
 * and stderr going to unlinked temporary files.  EXAMPLES_DIR comes from
 * Makefile.am and names the build tree's examples/ (libtool wrappers).
 */
#include "testutil.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>

#ifndef EXAMPLES_DIR
#error "EXAMPLES_DIR must name the built examples/ directory"
#endif

#define PUSHPULL EXAMPLES_DIR "/pushpull"
#define CHECKSUM EXAMPLES_DIR "/checksum"
#define EVENTLOOP EXAMPLES_DIR "/eventloop"
#define JOBPOOL EXAMPLES_DIR "/jobpool"
#define PIPELINE EXAMPLES_DIR "/pipeline"
#define MAX_ARGS 64

/* What a finished child left behind. */
struct result {
	int status;             /* as from waitpid() */
	char *out, *err;        /* its stdout and stderr, NUL-terminated */
};

static int tmpfd(void)
{
	char path[] = "/tmp/check_examples.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(path);
	return fd;
}

static char *slurp_fd(int fd)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	do {
		if (cap - len < 4096) {
			cap = cap * 2 + 4096;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		n = read(fd, buf + len, cap - len - 1);
		ck_assert_msg(n >= 0, "read: %s", strerror(errno));
		len += (size_t)n;
	} while (n > 0);
	buf[len] = '\0';
	close(fd);
	return buf;
}

/* Starts argv[0] with stdout and stderr going to *outfd and *errfd, and
 * SIGINT and SIGTERM at their defaults, unblocked. */
static pid_t spawn(const char *const *argv, int *outfd, int *errfd)
{
	sigset_t none;
	pid_t pid;

	*outfd = tmpfd();
	*errfd = tmpfd();
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (dup2(*outfd, 1) < 0 || dup2(*errfd, 2) < 0)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static void reap(pid_t pid, int outfd, int errfd, struct result *r)
{
	while (waitpid(pid, &r->status, 0) < 0)
		ck_assert_int_eq(errno, EINTR);
	r->out = slurp_fd(outfd);
	r->err = slurp_fd(errfd);
}

/* Runs prog with the NULL-terminated arguments that follow. */
static void run(struct result *r, const char *prog, ...)
{
	const char *argv[MAX_ARGS];
	int i = 0, outfd, errfd;
	va_list ap;
	pid_t pid;

	argv[i++] = prog;
	va_start(ap, prog);
	while ((argv[i++] = va_arg(ap, const char *)) != NULL)
		ck_assert_int_lt(i, MAX_ARGS);
	va_end(ap);
	pid = spawn(argv, &outfd, &errfd);    /* sets the fds: not one call */
	reap(pid, outfd, errfd, r);
}

static void free_result(struct result *r)
{
	free(r->out);
	free(r->err);
}

static void assert_exit(const struct result *r, int code)
{
	ck_assert_msg(WIFEXITED(r->status), "killed by signal %d; stderr: %s",
	              WIFSIGNALED(r->status) ? WTERMSIG(r->status) : 0, r->err);
	ck_assert_msg(WEXITSTATUS(r->status) == code,
	              "exit status %d, expected %d; stderr: %s",
	              WEXITSTATUS(r->status), code, r->err);
}

/* ------------------------------------------------------------------ */
/* pushpull                                                            */
/* ------------------------------------------------------------------ */

/* What check_line() has seen of a pushpull transcript so far. */
struct transcript {
	const char *const *labels;      /* the names, centred in 6 columns */
	int nlab, nitems;
	int got[64], dsig[8], done[8];  /* per item, per puller */
};

/* The puller whose "[<label>] " starts `line`; fails if none does. */
static int puller_of(const struct transcript *t, const char *line)
{
	size_t len;
	int p;

	for (p = 0; p < t->nlab; p++) {
		len = strlen(t->labels[p]);
		if (line[0] == '[' &&
		    strncmp(line + 1, t->labels[p], len) == 0 &&
		    strncmp(line + 1 + len, "] ", 2) == 0)
			return p;
	}
	ck_abort_msg("line with no known label: [%s]", line);
	return -1;
}

/*
 * One puller line: "Got item: K (size N)" for an item not yet seen
 * (in exactly that format), then "Got item: DONE_SIGNAL (size 0)", then
 * "Done", and nothing more from that puller.
 */
static void check_line(struct transcript *t, const char *line)
{
	int p = puller_of(t, line), k;
	const char *rest = line + strlen(t->labels[p]) + 3;
	char again[64];
	size_t size;

	ck_assert_msg(t->done[p] == 0, "line after Done: [%s]", line);
	if (strcmp(rest, "Done") == 0) {
		ck_assert_msg(t->dsig[p] == 1, "Done too early: [%s]", line);
		t->done[p]++;
		return;
	}
	ck_assert_msg(t->dsig[p] == 0, "line after DONE_SIGNAL: [%s]", line);
	if (strcmp(rest, "Got item: DONE_SIGNAL (size 0)") == 0) {
		t->dsig[p]++;
		return;
	}
	ck_assert_msg(sscanf(rest, "Got item: %d (size %zu)", &k, &size) == 2,
	              "malformed line: [%s]", line);
	snprintf(again, sizeof(again), "Got item: %d (size %zu)", k, size);
	ck_assert_msg(strcmp(rest, again) == 0, "malformed line: [%s]", line);
	ck_assert_msg(k >= 0 && k < t->nitems, "bad item: [%s]", line);
	ck_assert_msg(size < (size_t)t->nitems, "bad size: [%s]", line);
	t->got[k]++;
}

/*
 * Checks a whole transcript: puller lines as check_line() wants them,
 * each item got by exactly one puller, every puller done, and
 * "Queue size is now 0" last.  Overwrites `out`.
 */
static void check_transcript(char *out, const char *const *labels, int nlab,
                             int nitems)
{
	struct transcript t;
	char *line, *save = NULL;
	int nlines = 0, i;

	ck_assert_int_le(nitems, 64);
	ck_assert_int_le(nlab, 8);
	memset(&t, 0, sizeof(t));
	t.labels = labels;
	t.nlab = nlab;
	t.nitems = nitems;
	ck_assert_msg(out[0] != '\0' && out[strlen(out) - 1] == '\n',
	              "output does not end with a newline: [%s]", out);
	ck_assert_msg(strstr(out, "\n\n") == NULL, "empty line in [%s]", out);
	for (line = strtok_r(out, "\n", &save);
	     line != NULL && strncmp(line, "Queue size ", 11) != 0;
	     line = strtok_r(NULL, "\n", &save), nlines++)
		check_line(&t, line);
	ck_assert_msg(line != NULL, "no \"Queue size is now\" line");
	ck_assert_str_eq(line, "Queue size is now 0");
	ck_assert_ptr_null(strtok_r(NULL, "\n", &save));
	for (i = 0; i < nitems; i++)
		ck_assert_msg(t.got[i] == 1, "item %d got %d times", i,
		              t.got[i]);
	for (i = 0; i < nlab; i++)
		ck_assert_msg(t.done[i] == 1, "puller [%s] not done",
		              labels[i]);
	ck_assert_int_eq(nlines, nitems + 2 * nlab);
}

START_TEST(pushpull_two_pullers_get_every_item_once)
{
	static const char *const labels[] = { " Fred ", "George" };
	char out[8192];
	size_t n;
	FILE *p;

	/* Through a pipe, as `make demo | less` would: lines must come out
	 * whole, and all of them, although the program's stdout is not a
	 * terminal and so is fully buffered. */
	p = popen("'" PUSHPULL "' --items 20 --interval-ms 1 --max-work-ms 2"
	          " --seed 7", "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	check_transcript(out, labels, 2, 20);
}
END_TEST

START_TEST(pushpull_three_pullers_names_centred)
{
	static const char *const labels[] = { "  A   ", " Bob  ", "Carol " };
	struct result r;

	run(&r, PUSHPULL, "--items", "20", "--interval-ms", "1",
	    "--max-work-ms", "2", "--seed", "7", "--pullers", "A,Bob,Carol",
	    NULL);
	assert_exit(&r, 0);
	ck_assert_str_eq(r.err, "");
	check_transcript(r.out, labels, 3, 20);
	free_result(&r);
}
END_TEST

START_TEST(pushpull_long_name_and_no_items)
{
	static const char *const labels[] = { "Hermione" };
	struct result r;

	/* A name wider than 6 is printed whole, as Python's ^6 does; with
	 * no items the only puller gets the sentinel at once. */
	run(&r, PUSHPULL, "--items", "0", "--pullers", "Hermione", NULL);
	assert_exit(&r, 0);
	check_transcript(r.out, labels, 1, 0);
	free_result(&r);
}
END_TEST

/* Each bad command line, _i selecting it, must give a usage message on
 * stderr, nothing on stdout, and exit status 2. */
static const char *const pushpull_bad[][3] = {
	{ "--items", "x", NULL },       { "--items", "-1", NULL },
	{ "--items", "5x", NULL },      { "--interval-ms", "", NULL },
	{ "--max-work-ms", "+3", NULL }, { "--seed", "9999999999999", NULL },
	{ "--bogus", NULL, NULL },      { "--pullers", "", NULL },
	{ "--pullers", "A,,B", NULL },  { "--pullers", "A,", NULL },
	{ "--pullers", "123456789012345678901234567890123", NULL },
	{ "--items", NULL, NULL },      { "stray", NULL, NULL },
};

START_TEST(pushpull_bad_options_exit_2)
{
	struct result r;

	run(&r, PUSHPULL, pushpull_bad[_i][0], pushpull_bad[_i][1],
	    pushpull_bad[_i][2], NULL);
	assert_exit(&r, 2);
	ck_assert_str_eq(r.out, "");
	ck_assert_ptr_nonnull(strstr(r.err, "Usage: pushpull"));
	free_result(&r);
}
END_TEST

START_TEST(pushpull_help_exits_0)
{
	struct result r;

	run(&r, PUSHPULL, "--help", NULL);
	assert_exit(&r, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "Usage: pushpull"));
	ck_assert_ptr_nonnull(strstr(r.out, "--pullers"));
	ck_assert_str_eq(r.err, "");
	free_result(&r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* checksum                                                            */
/* ------------------------------------------------------------------ */

static char dir[] = "/tmp/check_examples.d.XXXXXX";
static char path_a[64], path_b[64], path_c[64], path_missing[64];

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* 100000 bytes of a fixed pseudo-random sequence. */
static unsigned char *big_data(void)
{
	static unsigned char buf[100000];
	uint32_t x = 12345;
	size_t i;

	for (i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (unsigned char)(x >> 16);
	}
	return buf;
}

/* CRC-32 bit by bit, independent of the example's table. */
static uint32_t crc32_ref(const unsigned char *p, size_t len)
{
	uint32_t crc = 0xffffffffu;
	int k;

	while (len-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	return ~crc;
}

/* Unchecked fixture (runs in the parent): the files every test uses. */
static void files_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path_a, sizeof(path_a), "%s/digits", dir);
	snprintf(path_b, sizeof(path_b), "%s/empty", dir);
	snprintf(path_c, sizeof(path_c), "%s/big", dir);
	snprintf(path_missing, sizeof(path_missing), "%s/missing", dir);
	write_file(path_a, "123456789", 9);
	write_file(path_b, "", 0);
	write_file(path_c, big_data(), 100000);
}

static void files_teardown(void)
{
	unlink(path_a);
	unlink(path_b);
	unlink(path_c);
	rmdir(dir);
}

START_TEST(checksum_matches_reference_in_argument_order)
{
	char expect[1024];
	struct result r;
	const char *jobs = _i == 0 ? "1" : "4";

	/* cbf43926 is CRC-32's published check value for "123456789". */
	ck_assert_uint_eq(crc32_ref((const unsigned char *)"123456789", 9),
	                  0xcbf43926u);
	snprintf(expect, sizeof(expect),
	         "cbf43926  %s\n00000000  %s\n%08lx  %s\n"
	         "%08lx  %s\ncbf43926  %s\n",
	         path_a, path_b,
	         (unsigned long)crc32_ref(big_data(), 100000), path_c,
	         (unsigned long)crc32_ref(big_data(), 100000), path_c, path_a);
	run(&r, CHECKSUM, "-j", jobs, path_a, path_b, path_c, path_c, path_a,
	    NULL);
	assert_exit(&r, 0);
	ck_assert_str_eq(r.out, expect);
	ck_assert_str_eq(r.err, "");
	free_result(&r);
}
END_TEST

START_TEST(checksum_missing_file_exit_1)
{
	char expect[512];
	struct result r;

	snprintf(expect, sizeof(expect), "cbf43926  %s\n00000000  %s\n",
	         path_a, path_b);
	run(&r, CHECKSUM, path_a, path_missing, path_b, NULL);
	assert_exit(&r, 1);
	ck_assert_str_eq(r.out, expect);
	ck_assert_ptr_nonnull(strstr(r.err, path_missing));
	ck_assert_ptr_nonnull(strstr(r.err, strerror(ENOENT)));
	free_result(&r);
}
END_TEST

START_TEST(checksum_usage_errors_exit_2)
{
	struct result r;

	run(&r, CHECKSUM, NULL);                        /* no files */
	assert_exit(&r, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "Usage: checksum"));
	free_result(&r);
	run(&r, CHECKSUM, "-j", "0", path_a, NULL);
	assert_exit(&r, 2);
	free_result(&r);
	run(&r, CHECKSUM, "-j", "x", path_a, NULL);
	assert_exit(&r, 2);
	free_result(&r);
	run(&r, CHECKSUM, "--bogus", path_a, NULL);
	assert_exit(&r, 2);
	ck_assert_str_eq(r.out, "");
	free_result(&r);
	run(&r, CHECKSUM, "--help", NULL);
	assert_exit(&r, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "--delay-ms"));
	free_result(&r);
}
END_TEST

#ifdef HAVE_LINUX_PROCFS
/*
 * True once process `pid` runs the checksum program itself (not the
 * libtool wrapper script in front of it) and blocks SIGINT and SIGTERM,
 * as it does before anything else: a signal sent from then on is
 * handled by the program, not fatal.  Linux /proc only.
 */
static int signals_blocked(pid_t pid)
{
	char path[64], exe[PATH_MAX], line[256];
	unsigned long long mask = 0;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if ((n = readlink(path, exe, sizeof(exe) - 1)) < 0)
		return 0;
	exe[n] = '\0';
	if (strstr(exe, "checksum") == NULL)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "SigBlk: %llx", &mask) == 1)
			break;
	fclose(f);
	return (mask >> (SIGINT - 1) & 1) && (mask >> (SIGTERM - 1) & 1);
}
#endif

/* CK_TIMEOUT_MULTIPLIER, which slow (sanitizer, valgrind) runs set. */
static long slowness(void)
{
	const char *s = getenv("CK_TIMEOUT_MULTIPLIER");
	long m = s != NULL ? strtol(s, NULL, 10) : 1;

	return m >= 1 ? m : 1;
}

/* _i == 0: SIGINT, 1: SIGTERM.  50 files at 100 ms each would take 5 s;
 * the signal must end the run at once, after the file in hand. */
START_TEST(checksum_signal_stops_run)
{
	const int sig = _i == 0 ? SIGINT : SIGTERM;
	const char *argv[60];
	struct result r;
	int i, outfd, errfd, nlines = 0;
	int64_t t0;
	pid_t pid;
	char *s;

	argv[0] = CHECKSUM;
	argv[1] = "-j";
	argv[2] = "1";
	argv[3] = "--delay-ms";
	argv[4] = "100";
	for (i = 0; i < 50; i++)
		argv[5 + i] = path_c;
	argv[55] = NULL;
	pid = spawn(argv, &outfd, &errfd);
	/* Wait (at most 5 s) until the program has its signals blocked,
	 * then give it a moment to get going: a start-up wait only.  With
	 * no /proc to ask, a second, a fifth of the run, stands in. */
#ifdef HAVE_LINUX_PROCFS
	for (i = 0; i < 5000 && !signals_blocked(pid); i++)
		tu_sleep_ms(1);
#else
	tu_sleep_ms(1000);
#endif
	tu_sleep_ms(250);
	t0 = tu_now_ns();
	ck_assert_int_eq(kill(pid, sig), 0);
	reap(pid, outfd, errfd, &r);
	/* The file in hand takes up to 100 ms; allow for a slow machine. */
	ck_assert_msg(tu_now_ns() - t0 < 3000000000LL * slowness(),
	              "took %lld ms to stop",
	              (long long)((tu_now_ns() - t0) / 1000000));
	assert_exit(&r, 128 + sig);
	ck_assert_ptr_nonnull(strstr(r.err, "interrupted"));
	for (s = r.out; (s = strchr(s, '\n')) != NULL; s++)
		nlines++;
	ck_assert_int_lt(nlines, 50);
	free_result(&r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* eventloop: built where configure found epoll and timerfd          */
/* ------------------------------------------------------------------ */
#ifdef WORKQ_EVENTLOOP_EXAMPLE

/* The primes in 1..n, by a sieve: independent of the example's test. */
static unsigned long count_primes(unsigned long n)
{
	unsigned char *composite = calloc(n + 1, 1);
	unsigned long i, j, count = 0;

	ck_assert_ptr_nonnull(composite);
	for (i = 2; i <= n; i++) {
		if (composite[i])
			continue;
		count++;
		for (j = i * i; j <= n; j += i)
			composite[j] = 1;
	}
	free(composite);
	return count;
}

/* Command lines for eventloop_counts_primes, _i selecting one. */
static const struct {
	const char *args[4];
	unsigned long count, workers;
} eventloop_runs[] = {
	{ { "-n", "1000", "-j", "3" }, 1000, 3 },
	{ { "--count", "0", "--jobs", "2" }, 0, 2 },
	{ { "--count", "1", "-j", "1" }, 1, 1 },
	{ { "-n", "100000", "-j", "4" }, 100000, 4 },
	{ { "-n", "5000", NULL, NULL }, 5000, 4 },        /* default -j */
};

/*
 * The run must end by itself (the loop sees WORKQ_CLOSED once the pool
 * is joined), exit 0 with nothing on stderr, and print only progress
 * lines and, last, the summary with the right count of primes.
 */
START_TEST(eventloop_counts_primes)
{
	char expect[128], *line, *save = NULL, *last = NULL;
	unsigned long done, total, primes;
	struct result r;
	int end;

	snprintf(expect, sizeof(expect),
	         "%lu numbers tested by %lu workers: %lu primes",
	         eventloop_runs[_i].count, eventloop_runs[_i].workers,
	         count_primes(eventloop_runs[_i].count));
	run(&r, EVENTLOOP, eventloop_runs[_i].args[0],
	    eventloop_runs[_i].args[1], eventloop_runs[_i].args[2],
	    eventloop_runs[_i].args[3], NULL);
	assert_exit(&r, 0);
	ck_assert_str_eq(r.err, "");
	ck_assert_msg(r.out[0] != '\0' && r.out[strlen(r.out) - 1] == '\n',
	              "output does not end with a newline: [%s]", r.out);
	for (line = strtok_r(r.out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (last != NULL) {
			end = -1;
			ck_assert_msg(sscanf(last, "progress: %lu/%lu tested, "
			                     "%lu primes%n", &done, &total,
			                     &primes, &end) == 3 &&
			              last[end] == '\0',
			              "malformed line: [%s]", last);
			ck_assert_uint_le(done, total);
			ck_assert_uint_eq(total, eventloop_runs[_i].count);
		}
		last = line;
	}
	ck_assert_ptr_nonnull(last);
	ck_assert_str_eq(last, expect);
	free_result(&r);
}
END_TEST

START_TEST(eventloop_help_exits_0)
{
	struct result r;

	run(&r, EVENTLOOP, "--help", NULL);
	assert_exit(&r, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "Usage: eventloop"));
	ck_assert_ptr_nonnull(strstr(r.out, "--jobs"));
	ck_assert_str_eq(r.err, "");
	free_result(&r);
}
END_TEST

static const char *const eventloop_bad[][3] = {
	{ "--bogus", NULL, NULL }, { "-j", "0", NULL },
	{ "-j", "x", NULL },       { "--jobs", "-1", NULL },
	{ "-n", "5x", NULL },      { "--count", "", NULL },
	{ "--jobs", NULL, NULL },  { "stray", NULL, NULL },
};

START_TEST(eventloop_bad_options_exit_2)
{
	struct result r;

	run(&r, EVENTLOOP, eventloop_bad[_i][0], eventloop_bad[_i][1],
	    eventloop_bad[_i][2], NULL);
	assert_exit(&r, 2);
	ck_assert_str_eq(r.out, "");
	ck_assert_ptr_nonnull(strstr(r.err, "Usage: eventloop"));
	free_result(&r);
}
END_TEST

#endif /* WORKQ_EVENTLOOP_EXAMPLE */

/* jobpool: every job ran once (the sums of 1..i for i = 1..200 add up
 * to 1353400; 17 letters in each of 100 texts), and the pool started 2
 * workers, grew to 4 and shrank to 1: 4 started, 4 stopped. */
START_TEST(jobpool_runs_every_job_and_prints_summary)
{
	struct result r;

	run(&r, JOBPOOL, NULL);
	assert_exit(&r, 0);
	ck_assert_str_eq(r.err, "");
	ck_assert_str_eq(r.out, "jobpool: 200 sums (total 1353400), "
	                        "100 texts (1700 letters); "
	                        "4 workers started, 4 stopped\n");
	free_result(&r);
}
END_TEST

/* pipeline: 1^2 + ... + 1000^2 through two stages; and stopped half
 * way through its control queue, every stage exits. */
START_TEST(pipeline_sums_squares_and_stops)
{
	struct result r;

	run(&r, PIPELINE, NULL);
	assert_exit(&r, 0);
	ck_assert_str_eq(r.err, "");
	ck_assert_str_eq(r.out, "pipeline: 1000 numbers, 2 squarers, "
	                        "sum of squares 333833500\n");
	free_result(&r);
	run(&r, PIPELINE, "stop", NULL);
	assert_exit(&r, 0);
	ck_assert_str_eq(r.err, "");
	ck_assert_str_eq(r.out, "pipeline: stopped; every stage exited\n");
	free_result(&r);
}
END_TEST

static Suite *examples_suite(void)
{
	Suite *s = suite_create("examples");
	TCase *tc = tcase_create("pushpull");
	int nbad = (int)(sizeof(pushpull_bad) / sizeof(pushpull_bad[0]));

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, pushpull_two_pullers_get_every_item_once);
	tcase_add_test(tc, pushpull_three_pullers_names_centred);
	tcase_add_test(tc, pushpull_long_name_and_no_items);
	tcase_add_loop_test(tc, pushpull_bad_options_exit_2, 0, nbad);
	tcase_add_test(tc, pushpull_help_exits_0);
	suite_add_tcase(s, tc);

	tc = tcase_create("checksum");
	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_unchecked_fixture(tc, files_setup, files_teardown);
	tcase_add_loop_test(tc, checksum_matches_reference_in_argument_order,
	                    0, 2);
	tcase_add_test(tc, checksum_missing_file_exit_1);
	tcase_add_test(tc, checksum_usage_errors_exit_2);
	tcase_add_loop_test(tc, checksum_signal_stops_run, 0, 2);
	suite_add_tcase(s, tc);

#ifdef WORKQ_EVENTLOOP_EXAMPLE
	tc = tcase_create("eventloop");
	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_loop_test(tc, eventloop_counts_primes, 0,
	                    (int)(sizeof(eventloop_runs) /
	                          sizeof(eventloop_runs[0])));
	tcase_add_test(tc, eventloop_help_exits_0);
	tcase_add_loop_test(tc, eventloop_bad_options_exit_2, 0,
	                    (int)(sizeof(eventloop_bad) /
	                          sizeof(eventloop_bad[0])));
	suite_add_tcase(s, tc);
#endif

	tc = tcase_create("jobpool");
	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, jobpool_runs_every_job_and_prints_summary);
	tcase_add_test(tc, pipeline_sums_squares_and_stops);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(examples_suite());
}
