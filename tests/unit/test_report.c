/* The run report: JSON string escaping, the JSON writer, the bounded
 * tally of rows per name, the report file itself (parsed back with
 * jansson) and the progress line's text. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "engine/json_writer.h"
#include "engine/progress.h"
#include "engine/report.h"
#include "engine/tally.h"

/* Run FN on a memory stream and return what it wrote (caller frees). */
static char *capture_string(const char *bytes, size_t len)
{
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);

  assert_non_null(f);
  lc_json_write_string(f, bytes, len);
  fclose(f);
  return buf;
}

static void json_escapes(void **state)
{
  static const struct {
    const char *in;
    size_t len;
    const char *out;
  } cases[] = {
      {"plain", 5, "\"plain\""},
      {"a\"b\\c", 5, "\"a\\\"b\\\\c\""},
      {"\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\""},
      {"\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\""},
      {"\0x", 2, "\"\\u0000x\""},
      {"caf\xc3\xa9", 5, "\"caf\xc3\xa9\""},           /* valid 2 bytes */
      {"\xe2\x82\xac", 3, "\"\xe2\x82\xac\""},         /* valid 3 bytes */
      {"\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\""}, /* valid 4 bytes */
      {"a\xff"
       "b",
       3, "\"a\\ufffdb\""},                             /* never valid */
      {"\xc0\x80", 2, "\"\\ufffd\\ufffd\""},            /* overlong NUL */
      {"\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""}, /* surrogate */
      {"\xf4\x90\x80\x80", 4,
       "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},  /* above U+10FFFF */
      {"\xe2\x82", 2, "\"\\ufffd\\ufffd\""}, /* cut short */
      {"\x80z", 2, "\"\\ufffdz\""},          /* stray continuation */
  };

  (void)state;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *out = capture_string(cases[i].in, cases[i].len);
    assert_string_equal(out, cases[i].out);
    free(out);
  }
}

static void json_writer_layout(void **state)
{
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);
  struct lc_json json;

  (void)state;
  lc_json_init(&json, f);
  lc_json_begin_object(&json);
  lc_json_key(&json, "n");
  lc_json_uint(&json, 18446744073709551615ull);
  lc_json_key(&json, "list");
  lc_json_begin_array(&json);
  lc_json_int(&json, -3);
  lc_json_bool(&json, true);
  lc_json_null(&json);
  lc_json_end_array(&json);
  lc_json_key(&json, "empty");
  lc_json_begin_object(&json);
  lc_json_end_object(&json);
  lc_json_key(&json, "x");
  lc_json_double(&json, 1.5);
  lc_json_key(&json, "s");
  lc_json_string(&json, NULL);
  lc_json_end_object(&json);
  fclose(f);
  assert_string_equal(buf, "{\n"
                           "  \"n\": 18446744073709551615,\n"
                           "  \"list\": [\n"
                           "    -3,\n"
                           "    true,\n"
                           "    null\n"
                           "  ],\n"
                           "  \"empty\": {},\n"
                           "  \"x\": 1.500,\n"
                           "  \"s\": null\n"
                           "}\n");
  free(buf);
}

static void tally_top_and_ties(void **state)
{
  struct lc_tally *t = lc_tally_new(100);
  struct lc_tally_entry top[3];

  (void)state;
  assert_non_null(t);
  lc_tally_add(t, "b.example", 5);
  lc_tally_add(t, "a.example", 5);
  lc_tally_add(t, "c.example", 9);
  lc_tally_add(t, "d.example", 1);
  lc_tally_add(t, "b.example", 0);
  assert_int_equal(lc_tally_top(t, top, 3), 3);
  assert_string_equal(top[0].name, "c.example");
  assert_int_equal(top[0].rows, 9);
  assert_string_equal(top[1].name, "a.example"); /* ties by name */
  assert_string_equal(top[2].name, "b.example");
  assert_int_equal(lc_tally_names(t), 4);
  assert_int_equal(lc_tally_rows(t), 20);
  assert_int_equal(lc_tally_other(t), 0);
  lc_tally_free(t);
}

static void tally_bound(void **state)
{
  struct lc_tally *t = lc_tally_new(2);
  struct lc_tally_entry top[5];

  (void)state;
  lc_tally_add(t, "one", 1);
  lc_tally_add(t, "two", 2);
  lc_tally_add(t, "three", 3); /* over the bound */
  lc_tally_add(t, "one", 1);   /* known names still count */
  assert_int_equal(lc_tally_names(t), 2);
  assert_int_equal(lc_tally_rows(t), 4);
  assert_int_equal(lc_tally_other(t), 3);
  assert_int_equal(lc_tally_top(t, top, 5), 2);
  assert_int_equal(top[0].rows, 2);
  assert_int_equal(top[1].rows, 2);
  lc_tally_free(t);
}

static void reason_names(void **state)
{
  enum lc_reason reason;

  (void)state;
  for (int i = 0; i < LC_REASON_COUNT; i++) {
    assert_true(
        lc_report_parse_reason(lc_reason_name((enum lc_reason)i), &reason));
    assert_int_equal(reason, i);
  }
  assert_false(lc_report_parse_reason("accepted ", &reason));
  assert_false(lc_report_parse_reason("", &reason));
}

static void report_file(void **state)
{
  char dir[] = "/tmp/test_report.XXXXXX", path[128];
  char *argv[] = {"listclean", "--report", "r\xff.json", "in.csv"};
  struct lc_job_options o;
  struct lc_job_stats st;
  struct lc_report *r = lc_report_new();
  struct lc_report_run run = {&o, &st, LC_EXIT_STOPPED, "disk \"full\""};
  char err[256];
  json_error_t jerr;
  json_t *doc;

  (void)state;
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/report.json", dir);
  lc_job_options_init(&o);
  o.argc = 4;
  o.argv = argv;
  o.input = "in.csv";
  o.output = "out\n.csv";
  memset(&st, 0, sizeof(st));
  st.rows_read = 5;
  st.rows_written = 3;
  st.rows_resumed = 2;
  st.by_reason[LC_REASON_ACCEPTED] = 4;
  st.by_reason[LC_REASON_NOT_CHECKED] = 1;
  st.stopped_early = true;
  st.stop_signal = SIGINT;
  lc_report_add_row(r, "google", "aspmx.l.google.com");
  lc_report_add_row(r, "google", "aspmx.l.google.com");
  lc_report_add_row(r, "microsoft", "x.mail.protection.outlook.com");
  lc_report_add_row(r, NULL, "mx.example.com");
  lc_report_add_row(r, "", "");
  assert_int_equal(lc_report_write(r, path, &run, err, sizeof(err)), LC_OK);
  doc = json_load_file(path, 0, &jerr);
  assert_non_null(doc);
  assert_int_equal(json_integer_value(json_object_get(doc, "exit_code")), 3);
  assert_string_equal(json_string_value(json_object_get(doc, "error")),
                      "disk \"full\"");
  assert_string_equal(json_string_value(json_object_get(doc, "output")),
                      "out\n.csv");
  assert_string_equal(
      json_string_value(json_array_get(json_object_get(doc, "command"), 2)),
      "r\xef\xbf\xbd.json");
  assert_string_equal(json_string_value(json_object_get(doc, "stop_signal")),
                      "SIGINT");
  json_t *rows = json_object_get(doc, "rows");
  assert_int_equal(json_integer_value(json_object_get(rows, "in_output")), 5);
  json_t *status = json_object_get(doc, "status");
  assert_int_equal(json_integer_value(json_object_get(status, "deliverable")),
                   4);
  assert_int_equal(json_integer_value(json_object_get(status, "unknown")), 1);
  json_t *provider = json_object_get(json_object_get(doc, "provider"), "rows");
  assert_int_equal(json_integer_value(json_object_get(provider, "google")), 2);
  assert_int_equal(json_integer_value(json_object_get(
                       json_object_get(doc, "provider"), "none")),
                   2);
  json_t *mx = json_object_get(doc, "mx");
  json_t *first = json_array_get(json_object_get(mx, "top"), 0);
  assert_string_equal(json_string_value(json_object_get(first, "name")),
                      "aspmx.l.google.com");
  assert_int_equal(json_integer_value(json_object_get(first, "rows")), 2);
  assert_int_equal(json_integer_value(json_object_get(mx, "none")), 1);
  assert_int_equal(json_integer_value(json_object_get(mx, "distinct")), 3);
  json_t *options = json_object_get(doc, "options");
  assert_true(json_is_null(json_object_get(options, "smtp_port")));
  assert_int_equal(
      json_integer_value(json_object_get(options, "max_rows_in_flight")),
      20000);
  json_decref(doc);
  /* Only the report is left: the temporary file was renamed. */
  snprintf(err, sizeof(err), "ls %s | wc -l | grep -qx 1", dir);
  assert_int_equal(system(err), 0);
  unlink(path);
  rmdir(dir);
  lc_report_free(r);
}

static void report_unwritable(void **state)
{
  struct lc_job_options o;
  struct lc_job_stats st;
  struct lc_report *r = lc_report_new();
  struct lc_report_run run = {&o, &st, LC_EXIT_OK, NULL};
  char err[256], expected[256];

  (void)state;
  lc_job_options_init(&o);
  memset(&st, 0, sizeof(st));
  assert_int_equal(
      lc_report_write(r, "/nonexistent-dir/r.json", &run, err, sizeof(err)),
      LC_ERR_IO);
  snprintf(expected, sizeof(expected),
           "cannot write report /nonexistent-dir/r.json.tmp.%ld: No such "
           "file or directory",
           (long)getpid());
  assert_string_equal(err, expected);
  lc_report_free(r);
}

/* The share and the ETA follow the rows written, not the bytes read. With
 * a quarter of the input read and half of those rows written, an eighth is
 * done. At 100 rows/s the rest of an estimated 4,000 rows takes 35 s. */
static void progress_estimate(void **state)
{
  struct lc_progress_view v;

  (void)state;
  memset(&v, 0, sizeof(v));
  v.read = 1000;
  v.written = 400;
  v.resumed = 100;
  v.rows_per_s = 100;
  lc_progress_estimate(&v, 250, 1000);
  assert_true(v.fraction > 0.1249 && v.fraction < 0.1251);
  assert_true(v.eta_s > 34.99 && v.eta_s < 35.01);
  /* Everything read and written. */
  v.written = 900;
  lc_progress_estimate(&v, 1000, 1000);
  assert_true(v.fraction > 0.9999 && v.fraction <= 1.0);
  assert_true(v.eta_s > -0.01 && v.eta_s < 0.01);
  /* No rate yet, or an input of unknown size. */
  v.rows_per_s = -1;
  lc_progress_estimate(&v, 500, 1000);
  assert_true(v.eta_s < 0);
  v.rows_per_s = 100;
  lc_progress_estimate(&v, 500, 0);
  assert_true(v.fraction < 0);
  assert_true(v.eta_s < 0);
}

static void progress_line(void **state)
{
  struct lc_progress_view v;
  char line[512];

  (void)state;
  memset(&v, 0, sizeof(v));
  v.read = 1200;
  v.written = 1000;
  v.by_status[LC_STATUS_DELIVERABLE] = 600;
  v.by_status[LC_STATUS_UNKNOWN] = 400;
  v.rows_per_s = 250.4;
  v.fraction = 0.375;
  v.eta_s = 3725;
  v.network = true;
  v.activity.dns = 3;
  v.activity.smtp = 40;
  v.activity.connections = 12;
  v.activity.https = 1;
  lc_progress_format(&v, 0, line, sizeof(line));
  assert_string_equal(line, "listclean: 1200 read, 1000 written, 250 rows/s, "
                            "37.5%, ETA 1h02m | in flight: dns 3, smtp 40 "
                            "(12 conn), https 1 | deliverable 600, "
                            "undeliverable 0, risky 0, unknown 400");
  lc_progress_format(&v, 30, line, sizeof(line));
  assert_string_equal(line, "listclean: 1200 read, 1000 wri");
  v.network = false;
  v.rows_per_s = v.fraction = v.eta_s = -1;
  v.resumed = 7;
  lc_progress_format(&v, 0, line, sizeof(line));
  assert_string_equal(line, "listclean: 1200 read, 1000 written, 7 resumed | "
                            "deliverable 600, undeliverable 0, risky 0, "
                            "unknown 400");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(json_escapes),
      cmocka_unit_test(json_writer_layout),
      cmocka_unit_test(tally_top_and_ties),
      cmocka_unit_test(tally_bound),
      cmocka_unit_test(reason_names),
      cmocka_unit_test(report_file),
      cmocka_unit_test(report_unwritable),
      cmocka_unit_test(progress_line),
      cmocka_unit_test(progress_estimate),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
