/* The complete prefix of a cut output file: plain CSV cut at every byte,
 * zstd files cut at every byte and with a damaged frame, quoted fields
 * with line breaks, byte order mark and line endings, format mismatches,
 * the records handed over and the truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "io/resume.h"

/* Three records; the second has a quoted field with a line break and an
 * escaped quote, so a line count would find four. */
static const char csv_text[] = "id,email,status\n"
                               "1,\"a\nb\"\"c\",ok\n"
                               "2,x@example.com,ok\n";
/* Offsets just after each record's terminator. */
static const size_t csv_ends[] = {16, 30, 49};

static char path[64];

static int make_path(void **state)
{
  int fd;

  (void)state;
  snprintf(path, sizeof(path), "/tmp/test_resume.XXXXXX");
  fd = mkstemp(path);
  if (fd < 0)
    return -1;
  close(fd);
  return 0;
}

static int remove_path(void **state)
{
  (void)state;
  unlink(path);
  return 0;
}

static void write_file(const void *bytes, size_t len)
{
  FILE *f = fopen(path, "wb");

  assert_non_null(f);
  assert_int_equal(fwrite(bytes, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

static enum lc_status scan(bool compressed, struct lc_resume_prefix *prefix)
{
  struct lc_resume_options options = {',', compressed};
  char err[512];

  return lc_resume_scan(path, &options, prefix, err, sizeof(err));
}

static void plain_cut_at_every_byte(void **state)
{
  size_t len = strlen(csv_text);

  (void)state;
  assert_int_equal(csv_ends[2], len);
  for (size_t cut = 0; cut <= len; cut++) {
    struct lc_resume_prefix prefix;
    uint64_t records = 0, bytes = 0;

    for (size_t i = 0; i < 3; i++)
      if (csv_ends[i] <= cut) {
        records = i + 1;
        bytes = csv_ends[i];
      }
    write_file(csv_text, cut);
    assert_int_equal(scan(false, &prefix), LC_OK);
    assert_true(prefix.exists);
    assert_int_equal(prefix.file_bytes, cut);
    assert_int_equal(prefix.prefix_bytes, bytes);
    assert_int_equal(prefix.records, records);
    lc_resume_prefix_release(&prefix);
  }
}

static void plain_first_record(void **state)
{
  struct lc_resume_prefix prefix;
  size_t len;

  (void)state;
  write_file(csv_text, strlen(csv_text));
  assert_int_equal(scan(false, &prefix), LC_OK);
  assert_int_equal(prefix.first.nfields, 3);
  assert_string_equal(lc_row_field(&prefix.first, 2, &len), "status");
  assert_false(prefix.bom);
  assert_false(prefix.crlf);
  lc_resume_prefix_release(&prefix);
}

static void plain_bom_and_crlf(void **state)
{
  static const char text[] = "\xef\xbb\xbf"
                             "id,email\r\n1,a@b.c\r\n2,d@e";
  struct lc_resume_prefix prefix;
  size_t len;

  (void)state;
  write_file(text, strlen(text));
  assert_int_equal(scan(false, &prefix), LC_OK);
  assert_true(prefix.bom);
  assert_true(prefix.crlf);
  assert_int_equal(prefix.records, 2);
  assert_int_equal(prefix.prefix_bytes, 3 + 10 + 9);
  assert_string_equal(lc_row_field(&prefix.first, 0, &len), "id");
  lc_resume_prefix_release(&prefix);
}

static void plain_cut_between_cr_and_lf(void **state)
{
  static const char text[] = "id,email\r\n1,a@b.c\r";
  struct lc_resume_prefix prefix;

  (void)state;
  write_file(text, strlen(text));
  assert_int_equal(scan(false, &prefix), LC_OK);
  assert_int_equal(prefix.records, 1);
  assert_int_equal(prefix.prefix_bytes, 10);
  lc_resume_prefix_release(&prefix);
}

static void plain_malformed(void **state)
{
  static const char text[] = "id,email\n1,a\"b\n";
  struct lc_resume_prefix prefix;

  (void)state;
  write_file(text, strlen(text));
  assert_int_equal(scan(false, &prefix), LC_ERR_FORMAT);
  lc_resume_prefix_release(&prefix);
}

static void missing_file(void **state)
{
  struct lc_resume_prefix prefix;

  (void)state;
  unlink(path);
  assert_int_equal(scan(false, &prefix), LC_OK);
  assert_false(prefix.exists);
  assert_int_equal(prefix.records, 0);
  lc_resume_prefix_release(&prefix);
}

/* Compress TEXT as one frame per record group: frames end after the
 * records in FRAME_ENDS (offsets into TEXT). Returns the file size and
 * stores each frame's end offset in the file in FILE_ENDS. */
static size_t make_zstd(char *out, size_t cap, const char *text,
                        const size_t *frame_ends, size_t nframes,
                        size_t *file_ends)
{
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  size_t len = 0, start = 0;

  assert_non_null(cctx);
  assert_false(
      ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)));
  for (size_t i = 0; i < nframes; i++) {
    size_t n = ZSTD_compress2(cctx, out + len, cap - len, text + start,
                              frame_ends[i] - start);
    assert_false(ZSTD_isError(n));
    len += n;
    file_ends[i] = len;
    start = frame_ends[i];
  }
  ZSTD_freeCCtx(cctx);
  return len;
}

static void zstd_cut_at_every_byte(void **state)
{
  char file[1024];
  size_t file_ends[3];
  size_t len = make_zstd(file, sizeof(file), csv_text, csv_ends, 3, file_ends);

  (void)state;
  for (size_t cut = 0; cut <= len; cut++) {
    struct lc_resume_prefix prefix;
    uint64_t records = 0, bytes = 0;

    for (size_t i = 0; i < 3; i++)
      if (file_ends[i] <= cut) {
        records = i + 1;
        bytes = file_ends[i];
      }
    write_file(file, cut);
    assert_int_equal(scan(true, &prefix), LC_OK);
    assert_int_equal(prefix.prefix_bytes, bytes);
    assert_int_equal(prefix.records, records);
    lc_resume_prefix_release(&prefix);
  }
}

static void zstd_damaged_frame(void **state)
{
  char file[1024];
  size_t file_ends[3];
  size_t len = make_zstd(file, sizeof(file), csv_text, csv_ends, 3, file_ends);
  struct lc_resume_prefix prefix;

  (void)state;
  /* The last byte of frame 2 is part of its checksum. */
  file[file_ends[1] - 1] ^= 0x55;
  write_file(file, len);
  assert_int_equal(scan(true, &prefix), LC_OK);
  assert_int_equal(prefix.prefix_bytes, file_ends[0]);
  assert_int_equal(prefix.records, 1);
  lc_resume_prefix_release(&prefix);
}

static void zstd_frame_inside_record(void **state)
{
  /* The second frame ends inside the quoted field: only the first
   * counts, even though the third completes the record. */
  static const size_t ends[] = {16, 20, 49};
  char file[1024];
  size_t file_ends[3];
  size_t len = make_zstd(file, sizeof(file), csv_text, ends, 3, file_ends);
  struct lc_resume_prefix prefix;

  (void)state;
  write_file(file, len);
  assert_int_equal(scan(true, &prefix), LC_OK);
  assert_int_equal(prefix.prefix_bytes, file_ends[0]);
  assert_int_equal(prefix.records, 1);
  lc_resume_prefix_release(&prefix);
}

static void format_mismatch(void **state)
{
  char file[1024];
  size_t file_ends[3];
  size_t len = make_zstd(file, sizeof(file), csv_text, csv_ends, 3, file_ends);
  struct lc_resume_prefix prefix;

  (void)state;
  write_file(file, len);
  assert_int_equal(scan(false, &prefix), LC_ERR_INVALID);
  lc_resume_prefix_release(&prefix);
  write_file(csv_text, strlen(csv_text));
  assert_int_equal(scan(true, &prefix), LC_ERR_INVALID);
  lc_resume_prefix_release(&prefix);
  /* Two bytes of the magic are a zstd file cut early, not plain CSV. */
  write_file(file, 2);
  assert_int_equal(scan(true, &prefix), LC_OK);
  assert_int_equal(prefix.records, 0);
  lc_resume_prefix_release(&prefix);
}

struct seen {
  unsigned count;
  char ids[8];
};

static void record_cb(const struct lc_row *record, void *arg)
{
  struct seen *seen = arg;
  size_t len;

  if (seen->count < sizeof(seen->ids) - 1)
    seen->ids[seen->count] = lc_row_field(record, 0, &len)[0];
  seen->count++;
}

static void records_of_prefix_only(void **state)
{
  char file[1024];
  size_t file_ends[3];
  size_t len = make_zstd(file, sizeof(file), csv_text, csv_ends, 3, file_ends);
  struct lc_resume_options options = {',', true};
  struct seen seen = {0};
  char err[512];

  (void)state;
  write_file(file, len - 1);
  assert_int_equal(lc_resume_records(path, &options, file_ends[1], record_cb,
                                     &seen, err, sizeof(err)),
                   LC_OK);
  assert_int_equal(seen.count, 2);
  assert_string_equal(seen.ids, "i1");
}

static void truncate_to_prefix(void **state)
{
  struct lc_resume_prefix prefix;
  struct stat st;
  char err[512];

  (void)state;
  write_file(csv_text, 40);
  assert_int_equal(scan(false, &prefix), LC_OK);
  assert_int_equal(
      lc_resume_truncate(path, prefix.prefix_bytes, err, sizeof(err)), LC_OK);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_size, csv_ends[1]);
  lc_resume_prefix_release(&prefix);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(plain_cut_at_every_byte),
      cmocka_unit_test(plain_first_record),
      cmocka_unit_test(plain_bom_and_crlf),
      cmocka_unit_test(plain_cut_between_cr_and_lf),
      cmocka_unit_test(plain_malformed),
      cmocka_unit_test(missing_file),
      cmocka_unit_test(zstd_cut_at_every_byte),
      cmocka_unit_test(zstd_damaged_frame),
      cmocka_unit_test(zstd_frame_inside_record),
      cmocka_unit_test(format_mismatch),
      cmocka_unit_test(records_of_prefix_only),
      cmocka_unit_test(truncate_to_prefix),
  };

  return cmocka_run_group_tests(tests, make_path, remove_path);
}
