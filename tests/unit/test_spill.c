/* The spill file: records of many sizes, empty and over 1 MiB included,
 * read back by offset in another order of runs than they were appended,
 * from the file and from the write buffer, with appends and reads
 * interleaved, and records linked to others. Invalid offsets, the limit on
 * unread bytes, truncation once every record is read, release of a run read
 * while another is unread, a missing directory, and a write that fails on the
 * file size limit. */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/spill.h"

#define HEADER 16 /* record header counted by lc_spill_bytes */
#define MIB (1024 * 1024)

static char dir[64];
static struct lc_spill *spill; /* closed by close_spill, also on failure */

static int make_dir(void **state)
{
  (void)state;
  snprintf(dir, sizeof(dir), "/tmp/test_spill.XXXXXX");
  return mkdtemp(dir) == NULL ? -1 : 0;
}

static int remove_dir(void **state)
{
  (void)state;
  return rmdir(dir);
}

/* Size of record I in the varied sequence: mostly a few hundred bytes,
 * every 50th empty, every 97th above 1 MiB. */
static size_t varied_size(uint64_t i)
{
  if (i % 50 == 0)
    return 0;
  if (i % 97 == 0)
    return 1536 * 1024 + (size_t)i;
  return 100 + (size_t)(i * 7919 % 1900);
}

/* Fill BUF with the LEN bytes of record I, different for each record. */
static void fill_record(unsigned char *buf, size_t len, uint64_t i)
{
  for (size_t j = 0; j < len; j++)
    buf[j] = (unsigned char)(i * 131 + j * 7 + (j >> 8));
}

static struct lc_spill *open_spill(void)
{
  struct lc_spill *s = NULL;
  char err[256];

  assert_int_equal(lc_spill_open(dir, &s, err, sizeof(err)), LC_OK);
  assert_non_null(s);
  assert_string_equal(lc_spill_error(s), "");
  spill = s;
  return s;
}

/* Free the spill file of a test, so that a failed test leaves no file
 * behind for spill_file_stat to find in the next one. */
static int close_spill(void **state)
{
  (void)state;
  lc_spill_free(spill);
  spill = NULL;
  return 0;
}

/* Append record I of LEN bytes and return its offset, which must be the
 * end before the append. */
static uint64_t append_record(struct lc_spill *s, unsigned char *buf,
                              size_t len, uint64_t i)
{
  uint64_t end = lc_spill_end(s), offset = UINT64_MAX;

  fill_record(buf, len, i);
  assert_int_equal(lc_spill_append(s, buf, len, 0, &offset), LC_OK);
  assert_int_equal(offset, end);
  assert_int_equal(lc_spill_end(s), end + HEADER + len);
  return offset;
}

/* Read the record at *OFFSET and check that it is record I of length LEN
 * and that *OFFSET moved past it. */
static void read_record(struct lc_spill *s, uint64_t *offset,
                        unsigned char *buf, size_t len, uint64_t i)
{
  const void *rec = NULL;
  size_t got = SIZE_MAX;
  uint64_t start = *offset;

  assert_int_equal(lc_spill_read(s, offset, &rec, &got), LC_OK);
  assert_int_equal(got, len);
  assert_int_equal(*offset, start + HEADER + len);
  assert_non_null(rec);
  fill_record(buf, len, i);
  assert_memory_equal(rec, buf, len);
}

/* Append the varied records [FIRST, FIRST + N), storing their offsets in
 * OFFSETS (indexed by record), and add their bytes to *BYTES. */
static void append_run(struct lc_spill *s, unsigned char *buf, uint64_t first,
                       uint64_t n, uint64_t *offsets, uint64_t *bytes)
{
  for (uint64_t i = first; i < first + n; i++) {
    offsets[i] = append_record(s, buf, varied_size(i), i);
    *bytes += HEADER + varied_size(i);
  }
}

/* Read the varied records [FIRST, FIRST + N) as one run from the offset of
 * the first, and take their bytes off *BYTES. */
static void read_run(struct lc_spill *s, unsigned char *buf, uint64_t first,
                     uint64_t n, const uint64_t *offsets, uint64_t *bytes)
{
  uint64_t offset = offsets[first];

  for (uint64_t i = first; i < first + n; i++) {
    assert_int_equal(offset, offsets[i]);
    read_record(s, &offset, buf, varied_size(i), i);
    *bytes -= HEADER + varied_size(i);
  }
}

/* Status of the spill file of the process, found as the link in
 * /proc/self/fd that names DIR/listclean-spill-* (deleted). Only one may
 * be open. */
static struct stat spill_file_stat(void)
{
  char link[512], target[512], prefix[128];
  DIR *fds = opendir("/proc/self/fd");
  struct dirent *e;
  struct stat st, found = {.st_size = -1};

  assert_non_null(fds);
  snprintf(prefix, sizeof(prefix), "%s/listclean-spill-", dir);
  while ((e = readdir(fds)) != NULL) {
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
    n = readlink(link, target, sizeof(target) - 1);
    if (n < 0)
      continue;
    target[n] = '\0';
    if (strncmp(target, prefix, strlen(prefix)) != 0)
      continue;
    assert_non_null(strstr(target, "(deleted)"));
    assert_int_equal(found.st_size, -1);
    assert_int_equal(stat(link, &st), 0);
    found = st;
  }
  closedir(fds);
  assert_int_not_equal(found.st_size, -1);
  return found;
}

static off_t spill_file_size(void)
{
  return spill_file_stat().st_size;
}

/* Runs A, B and C appended in one sequence and read as C, A, B. */
static void read_runs_out_of_order(void **state)
{
  const uint64_t n = 600, a = 0, b = 200, c = 400;
  unsigned char *buf = malloc(2 * MIB);
  uint64_t *offsets = calloc(n, sizeof(*offsets));
  struct lc_spill *s = open_spill();
  uint64_t bytes = 0, total;

  (void)state;
  assert_non_null(buf);
  assert_non_null(offsets);
  append_run(s, buf, a, b - a, offsets, &bytes);
  append_run(s, buf, b, c - b, offsets, &bytes);
  append_run(s, buf, c, n - c, offsets, &bytes);
  total = bytes;
  assert_int_equal(offsets[0], 0);
  assert_int_equal(lc_spill_end(s), total);
  assert_int_equal(lc_spill_count(s), n);
  assert_int_equal(lc_spill_bytes(s), total);
  assert_true(spill_file_size() > 0);

  read_run(s, buf, c, n - c, offsets, &bytes);
  assert_int_equal(lc_spill_count(s), c);
  assert_int_equal(lc_spill_bytes(s), bytes);
  read_run(s, buf, a, b - a, offsets, &bytes);
  assert_int_equal(lc_spill_count(s), c - b);
  assert_int_equal(lc_spill_bytes(s), bytes);
  read_run(s, buf, b, c - b, offsets, &bytes);

  assert_int_equal(lc_spill_count(s), 0);
  assert_int_equal(lc_spill_bytes(s), 0);
  assert_int_equal(lc_spill_peak_bytes(s), total);
  assert_int_equal(spill_file_size(), 0);
  assert_int_equal(lc_spill_end(s), 0);
  free(offsets);
  free(buf);
}

/* Records still in the write buffer are read from it, in any order, and
 * nothing is written to the file for that. */
static void read_write_buffer(void **state)
{
  static const size_t sizes[] = {100, 0, 200};
  unsigned char buf[200];
  uint64_t offsets[3], offset;
  struct lc_spill *s = open_spill();

  (void)state;
  for (uint64_t i = 0; i < 3; i++)
    offsets[i] = append_record(s, buf, sizes[i], i);
  assert_int_equal(offsets[2], 2 * HEADER + 100);
  assert_int_equal(spill_file_size(), 0);
  offset = offsets[2];
  read_record(s, &offset, buf, sizes[2], 2);
  offset = offsets[0];
  read_record(s, &offset, buf, sizes[0], 0);
  assert_int_equal(offset, offsets[1]);
  assert_int_equal(lc_spill_bytes(s), HEADER);
  assert_int_equal(spill_file_size(), 0);
  read_record(s, &offset, buf, sizes[1], 1);
  assert_int_equal(lc_spill_count(s), 0);
  assert_int_equal(spill_file_size(), 0);
  assert_int_equal(lc_spill_end(s), 0);
  assert_int_equal(append_record(s, buf, 10, 3), 0);
}

/* Read the record at *OFFSET, check that it is record I of length LEN, and
 * that *OFFSET moved to NEXT. */
static void read_linked(struct lc_spill *s, uint64_t *offset,
                        unsigned char *buf, size_t len, uint64_t i,
                        uint64_t next)
{
  const void *rec = NULL;
  size_t got = SIZE_MAX;

  assert_int_equal(lc_spill_read(s, offset, &rec, &got), LC_OK);
  assert_int_equal(got, len);
  assert_int_equal(*offset, next);
  fill_record(buf, len, i);
  assert_memory_equal(rec, buf, len);
}

/* Links change the record read after another: in the file before anything
 * was read, in the file and the read buffer while the record is in that
 * buffer, and in the write buffer. Reading from record 0 then gives
 * 0 1 5 6 7 8 9 2 3 4 10 12 11. */
static void linked_records(void **state)
{
  static const uint64_t order[] = {0, 1, 5, 6, 7, 8, 9, 2, 3, 4, 10, 12, 11};
  enum { N = 13, BIG = 300 * 1024 };
  unsigned char *buf = malloc(BIG);
  uint64_t offsets[N], offset = 0;
  struct lc_spill *s = open_spill();

  (void)state;
  assert_non_null(buf);
  for (uint64_t i = 0; i < 10; i++)
    offsets[i] = append_record(s, buf, 100, i);
  /* The big record does not fit in the write buffer with records 0 to 9,
   * which go to the file, and record 11 does not fit with it: 11 and 12
   * stay in the write buffer. */
  offsets[10] = append_record(s, buf, BIG, 10);
  assert_int_equal(spill_file_size(), offsets[10]);
  offsets[11] = append_record(s, buf, 100, 11);
  offsets[12] = append_record(s, buf, 100, 12);
  assert_int_equal(spill_file_size(), offsets[11]);

  assert_int_equal(lc_spill_link(s, offsets[9], offsets[2]), LC_OK);
  read_linked(s, &offset, buf, 100, 0, offsets[1]);
  /* Record 0 was read with the ones after it in the read buffer. */
  assert_int_equal(lc_spill_link(s, offsets[1], offsets[5]), LC_OK);
  assert_int_equal(lc_spill_link(s, offsets[4], offsets[10]), LC_OK);
  assert_int_equal(lc_spill_link(s, offsets[10], offsets[12]), LC_OK);
  assert_int_equal(lc_spill_link(s, offsets[12], offsets[11]), LC_OK);
  /* Read records and offsets past the end cannot be linked. */
  assert_int_equal(lc_spill_link(s, offsets[0], offsets[3]), LC_ERR_INVALID);
  assert_int_equal(lc_spill_link(s, lc_spill_end(s), 0), LC_ERR_INVALID);
  assert_int_equal(lc_spill_link(s, offsets[12] + 20, 0), LC_ERR_INVALID);
  for (size_t k = 1; k < N; k++) {
    uint64_t i = order[k];
    uint64_t next = k + 1 < N ? offsets[order[k + 1]] : lc_spill_end(s);

    /* The last record read empties the file, so offsets restart. */
    if (k + 1 == N)
      next = offsets[11] + HEADER + 100;
    assert_int_equal(offset, offsets[i]);
    read_linked(s, &offset, buf, i == 10 ? BIG : 100, i, next);
  }
  assert_int_equal(lc_spill_count(s), 0);
  assert_int_equal(spill_file_size(), 0);
  free(buf);
}

struct run {
  uint64_t first, n;
};

/* Each round appends a run of 7, reads the first 4 of that run, and every
 * other round reads the oldest unread run too. The rest is read newest
 * first. */
static void interleaved_append_read(void **state)
{
  enum { ROUNDS = 150, RUN = 7, NOW = 4 };
  unsigned char *buf = malloc(2 * MIB);
  uint64_t *offsets = calloc(ROUNDS * RUN, sizeof(*offsets));
  struct run runs[ROUNDS];
  size_t oldest = 0, newest = 0;
  struct lc_spill *s = open_spill();
  uint64_t next = 0, bytes = 0, unread = 0;

  (void)state;
  assert_non_null(buf);
  assert_non_null(offsets);
  for (int round = 0; round < ROUNDS; round++) {
    append_run(s, buf, next, RUN, offsets, &bytes);
    read_run(s, buf, next, NOW, offsets, &bytes);
    runs[newest++] = (struct run){next + NOW, RUN - NOW};
    next += RUN;
    unread += RUN - NOW;
    if (round % 2 == 1) {
      read_run(s, buf, runs[oldest].first, runs[oldest].n, offsets, &bytes);
      unread -= runs[oldest++].n;
    }
    assert_int_equal(lc_spill_count(s), unread);
    assert_int_equal(lc_spill_bytes(s), bytes);
  }
  while (newest > oldest) {
    newest--;
    read_run(s, buf, runs[newest].first, runs[newest].n, offsets, &bytes);
  }
  assert_int_equal(lc_spill_count(s), 0);
  assert_int_equal(lc_spill_bytes(s), 0);
  assert_int_equal(spill_file_size(), 0);
  free(offsets);
  free(buf);
}

static void expect_invalid(struct lc_spill *s, uint64_t offset)
{
  uint64_t at = offset;
  const void *rec = NULL;
  size_t len = 5;

  assert_int_equal(lc_spill_read(s, &at, &rec, &len), LC_ERR_INVALID);
  assert_int_equal(at, offset);
}

/* Offsets at or past the end, inside a record in the file or in the write
 * buffer, or of a record just read, are rejected and change nothing. */
static void read_invalid_offset(void **state)
{
  enum { N = 300 };
  unsigned char buf[1000];
  uint64_t offsets[N], offset;
  struct lc_spill *s = open_spill();

  (void)state;
  expect_invalid(s, 0);
  for (uint64_t i = 0; i < N; i++)
    offsets[i] = append_record(s, buf, sizeof(buf), i);
  assert_true(spill_file_size() > 0);
  expect_invalid(s, lc_spill_end(s));
  expect_invalid(s, lc_spill_end(s) + 1000);
  expect_invalid(s, lc_spill_end(s) - 4);
  /* The payload taken as a length prefix runs past the end. */
  expect_invalid(s, offsets[0] + HEADER);
  expect_invalid(s, offsets[N - 1] + HEADER);
  offset = offsets[0];
  read_record(s, &offset, buf, sizeof(buf), 0);
  expect_invalid(s, offsets[0]);
  assert_int_equal(lc_spill_count(s), N - 1);
  assert_int_equal(lc_spill_bytes(s), (N - 1) * (HEADER + sizeof(buf)));
  for (uint64_t i = 1; i < N; i++)
    read_record(s, &offset, buf, sizeof(buf), i);
  assert_int_equal(lc_spill_count(s), 0);
  expect_invalid(s, 0);
}

/* The limit applies to unread bytes: a rejected append changes nothing,
 * and reading a record makes room for another. */
static void limit_counts_unread(void **state)
{
  unsigned char buf[100];
  const uint64_t limit = 3 * (HEADER + sizeof(buf));
  uint64_t offsets[4], offset = 77, end;
  struct lc_spill *s = open_spill();

  (void)state;
  for (uint64_t i = 0; i < 3; i++) {
    fill_record(buf, sizeof(buf), i);
    assert_int_equal(lc_spill_append(s, buf, sizeof(buf), limit, &offsets[i]),
                     LC_OK);
  }
  end = lc_spill_end(s);
  assert_int_equal(lc_spill_append(s, buf, 1, limit, &offset), LC_ERR_LIMIT);
  assert_int_equal(lc_spill_append(s, NULL, 0, limit, &offset), LC_ERR_LIMIT);
  assert_int_equal(offset, 77);
  assert_int_equal(lc_spill_end(s), end);
  assert_int_equal(lc_spill_count(s), 3);
  assert_int_equal(lc_spill_bytes(s), limit);
  assert_string_equal(lc_spill_error(s), "");

  offset = offsets[1];
  read_record(s, &offset, buf, sizeof(buf), 1);
  fill_record(buf, sizeof(buf), 3);
  assert_int_equal(lc_spill_append(s, buf, sizeof(buf), limit, &offsets[3]),
                   LC_OK);
  assert_int_equal(offsets[3], end);
  assert_int_equal(lc_spill_append(s, NULL, 0, limit, &offset), LC_ERR_LIMIT);
  assert_int_equal(lc_spill_peak_bytes(s), limit);

  offset = offsets[2];
  read_record(s, &offset, buf, sizeof(buf), 2);
  read_record(s, &offset, buf, sizeof(buf), 3);
  offset = offsets[0];
  read_record(s, &offset, buf, sizeof(buf), 0);
  assert_int_equal(lc_spill_count(s), 0);
}

/* Each round fills the file and reads its second half, then its first:
 * the file is back to 0 bytes and offsets restart at 0. */
static void truncate_when_all_read(void **state)
{
  enum { N = 300 };
  unsigned char buf[1000];
  uint64_t offsets[N], offset;
  struct lc_spill *s = open_spill();

  (void)state;
  for (uint64_t round = 0; round < 50; round++) {
    for (uint64_t i = 0; i < N; i++)
      offsets[i] = append_record(s, buf, sizeof(buf), round * N + i);
    assert_int_equal(offsets[0], 0);
    assert_true(spill_file_size() > 0);
    offset = offsets[N / 2];
    for (uint64_t i = N / 2; i < N; i++)
      read_record(s, &offset, buf, sizeof(buf), round * N + i);
    assert_true(spill_file_size() > 0);
    offset = offsets[0];
    for (uint64_t i = 0; i < N / 2; i++)
      read_record(s, &offset, buf, sizeof(buf), round * N + i);
    assert_int_equal(lc_spill_bytes(s), 0);
    assert_int_equal(spill_file_size(), 0);
    assert_int_equal(lc_spill_end(s), 0);
  }
  assert_int_equal(lc_spill_peak_bytes(s), N * (HEADER + sizeof(buf)));
}

/* Run A of 20 MiB is read while run B is unread: once reading moves on to
 * record C, A's disk blocks are released and B still reads back intact. */
static void punch_read_run(void **state)
{
  enum { N = 20 };
  const size_t len = MIB;
  unsigned char *buf = malloc(len);
  uint64_t a, b, c, offset;
  struct lc_spill *s = open_spill();
  struct stat st;

  (void)state;
  assert_non_null(buf);
  a = append_record(s, buf, len, 0);
  for (uint64_t i = 1; i < 2 * N; i++)
    append_record(s, buf, len, i);
  b = a + N * (HEADER + len);
  c = append_record(s, buf, 100, 2 * N);
  st = spill_file_stat();
  assert_true(st.st_size >= (off_t)(2 * N * (HEADER + len)));
  assert_true(st.st_blocks * 512 >= st.st_size);

  offset = a;
  for (uint64_t i = 0; i < N; i++)
    read_record(s, &offset, buf, len, i);
  assert_int_equal(offset, b);
  offset = c;
  read_record(s, &offset, buf, 100, 2 * N);
  st = spill_file_stat();
  assert_true(st.st_size >= (off_t)(2 * N * (HEADER + len)));
  /* At least 19 MiB less, up to the blocks around the hole's edges. */
  assert_true(st.st_blocks * 512 < st.st_size - 19 * MIB);

  offset = b;
  for (uint64_t i = N; i < 2 * N; i++)
    read_record(s, &offset, buf, len, i);
  assert_int_equal(lc_spill_count(s), 0);
  assert_int_equal(spill_file_size(), 0);
  free(buf);
}

static void open_missing_dir(void **state)
{
  struct lc_spill *s = NULL;
  char err[256], missing[128], expected[256];

  (void)state;
  snprintf(missing, sizeof(missing), "%s/missing", dir);
  assert_int_equal(lc_spill_open(missing, &s, err, sizeof(err)), LC_ERR_IO);
  assert_null(s);
  snprintf(expected, sizeof(expected),
           "cannot create a spill file in %s: No such file or directory",
           missing);
  assert_string_equal(err, expected);
}

/* Read the runs of 50 records among the first APPENDED, newest run first.
 * Returns 0, or the number of the first check that failed. */
static int read_runs_backwards(struct lc_spill *s, const uint64_t *offsets,
                               uint64_t appended)
{
  static unsigned char want[1000];

  for (uint64_t first = (appended - 1) / 50 * 50;; first -= 50) {
    uint64_t offset = offsets[first];

    for (uint64_t i = first; i < first + 50 && i < appended; i++) {
      const void *rec;
      size_t len;

      fill_record(want, sizeof(want), i);
      if (offset != offsets[i] ||
          lc_spill_read(s, &offset, &rec, &len) != LC_OK)
        return 10;
      if (len != sizeof(want) || memcmp(rec, want, len) != 0)
        return 11;
    }
    if (first == 0)
      return 0;
  }
}

/* Runs in a child because the file size limit applies to every file of the
 * process. Returns 0, or the number of the first check that failed. */
static int write_failure_child(void)
{
  enum { MAX = 2000 };
  static unsigned char buf[1000];
  static uint64_t offsets[MAX];
  struct rlimit limit = {.rlim_cur = 400000, .rlim_max = 400000};
  char expected[256];
  struct lc_spill *s = NULL;
  uint64_t appended = 0, offset = 77;
  enum lc_status st = LC_OK;
  int failed;

  signal(SIGXFSZ, SIG_IGN);
  if (lc_spill_open(dir, &s, (char *)buf, sizeof(buf)) != LC_OK)
    return 1;
  if (setrlimit(RLIMIT_FSIZE, &limit) != 0)
    return 2;
  /* 400000 bytes is not a multiple of the 1016-byte record, so the write
   * that reaches the limit ends inside a record. */
  while (appended < MAX) {
    fill_record(buf, sizeof(buf), appended);
    st = lc_spill_append(s, buf, sizeof(buf), 0, &offsets[appended]);
    if (st != LC_OK)
      break;
    appended++;
  }
  /* More records than the file can hold were appended before the failure. */
  if (st != LC_ERR_IO || appended * (HEADER + sizeof(buf)) <= 400000)
    return 3;
  if (lc_spill_count(s) != appended ||
      lc_spill_end(s) != appended * (HEADER + sizeof(buf)))
    return 4;
  snprintf(expected, sizeof(expected),
           "cannot write the spill file in %s: File too large", dir);
  if (strcmp(lc_spill_error(s), expected) != 0)
    return 5;
  if (lc_spill_append(s, NULL, 0, 0, &offset) != LC_ERR_IO || offset != 77)
    return 6;
  failed = read_runs_backwards(s, offsets, appended);
  if (failed != 0)
    return failed;
  if (lc_spill_count(s) != 0 || lc_spill_bytes(s) != 0)
    return 7;
  if (strcmp(lc_spill_error(s), expected) != 0)
    return 8;
  lc_spill_free(s);
  return 0;
}

/* Records appended before a failed write all read back, from the file and
 * from memory, the run that spans both included. */
static void write_failure_keeps_records(void **state)
{
  int status = -1;
  pid_t pid;

  (void)state;
  fflush(NULL);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0)
    _exit(write_failure_child());
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(read_runs_out_of_order, close_spill),
      cmocka_unit_test_teardown(read_write_buffer, close_spill),
      cmocka_unit_test_teardown(interleaved_append_read, close_spill),
      cmocka_unit_test_teardown(read_invalid_offset, close_spill),
      cmocka_unit_test_teardown(linked_records, close_spill),
      cmocka_unit_test_teardown(limit_counts_unread, close_spill),
      cmocka_unit_test_teardown(truncate_when_all_read, close_spill),
      cmocka_unit_test_teardown(punch_read_run, close_spill),
      cmocka_unit_test(open_missing_dir),
      cmocka_unit_test(write_failure_keeps_records),
  };

  return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
