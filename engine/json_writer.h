/* A small streaming JSON writer for the run report.
 *
 * Values are written straight to a stdio stream, indented by two spaces per
 * level, with the commas placed by the writer. Strings are escaped as RFC
 * 8259 requires: quote, backslash and control characters become escapes,
 * and valid UTF-8 passes through. Every byte that is not part of a valid
 * UTF-8 sequence becomes U+FFFD, so the file parses whatever bytes the
 * paths and MX names contain. Write errors are left in the stream (ferror)
 * for the caller to check once at the end.
 */
#ifndef LC_JSON_WRITER_H
#define LC_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Nesting levels a document may use. */
#define LC_JSON_DEPTH_MAX 16

struct lc_json {
  FILE *f;
  unsigned depth;
  bool has_members[LC_JSON_DEPTH_MAX]; /* a value was written at the level */
  bool after_key;                      /* the next value completes a member */
};

void lc_json_init(struct lc_json *json, FILE *f);

/* Containers. Calls must nest; the writer does not check it. */
void lc_json_begin_object(struct lc_json *json);
void lc_json_end_object(struct lc_json *json);
void lc_json_begin_array(struct lc_json *json);
void lc_json_end_array(struct lc_json *json);

/* Start a member of the current object; the next value call is its
 * value. */
void lc_json_key(struct lc_json *json, const char *key);

/* Values. lc_json_string writes null for a NULL string. */
void lc_json_string(struct lc_json *json, const char *text);
void lc_json_string_n(struct lc_json *json, const char *text, size_t len);
void lc_json_uint(struct lc_json *json, uint64_t value);
void lc_json_int(struct lc_json *json, int64_t value);
/* A finite number with up to 3 decimals; NaN and infinity become null. */
void lc_json_double(struct lc_json *json, double value);
void lc_json_bool(struct lc_json *json, bool value);
void lc_json_null(struct lc_json *json);

/* Write LEN bytes of TEXT to F as a quoted JSON string (see above). */
void lc_json_write_string(FILE *f, const char *text, size_t len);

#endif
