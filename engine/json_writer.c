/* Streaming JSON writer with string escaping (see json_writer.h). */
#include "engine/json_writer.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

void lc_json_init(struct lc_json *json, FILE *f)
{
  memset(json, 0, sizeof(*json));
  json->f = f;
}

static void json_newline(struct lc_json *json)
{
  fputc('\n', json->f);
  for (unsigned i = 0; i < json->depth; i++)
    fputs("  ", json->f);
}

/* Separator and indentation before a value or a key. A value that follows
 * its key goes on the key's line. */
static void json_before_item(struct lc_json *json)
{
  if (json->after_key) {
    json->after_key = false;
    return;
  }
  if (json->depth == 0)
    return;
  if (json->has_members[json->depth])
    fputc(',', json->f);
  json->has_members[json->depth] = true;
  json_newline(json);
}

static void json_open(struct lc_json *json, char bracket)
{
  json_before_item(json);
  fputc(bracket, json->f);
  if (json->depth + 1 < LC_JSON_DEPTH_MAX)
    json->depth++;
  json->has_members[json->depth] = false;
}

static void json_close(struct lc_json *json, char bracket)
{
  bool had_members = json->has_members[json->depth];

  if (json->depth > 0)
    json->depth--;
  if (had_members)
    json_newline(json);
  fputc(bracket, json->f);
  if (json->depth == 0)
    fputc('\n', json->f);
}

void lc_json_begin_object(struct lc_json *json)
{
  json_open(json, '{');
}

void lc_json_end_object(struct lc_json *json)
{
  json_close(json, '}');
}

void lc_json_begin_array(struct lc_json *json)
{
  json_open(json, '[');
}

void lc_json_end_array(struct lc_json *json)
{
  json_close(json, ']');
}

void lc_json_key(struct lc_json *json, const char *key)
{
  json_before_item(json);
  lc_json_write_string(json->f, key, strlen(key));
  fputs(": ", json->f);
  json->after_key = true;
}

/* Length of the valid UTF-8 sequence at P (N bytes available), or 0 when
 * the bytes are not one: stray continuation bytes, overlong forms, UTF-16
 * surrogates and code points above U+10FFFF are all invalid. */
static size_t json_utf8_length(const unsigned char *p, size_t n)
{
  size_t len;
  uint32_t cp;

  if (p[0] < 0x80)
    return 1;
  if (p[0] >= 0xc2 && p[0] <= 0xdf) {
    len = 2;
    cp = p[0] & 0x1f;
  } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
    len = 3;
    cp = p[0] & 0x0f;
  } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
    len = 4;
    cp = p[0] & 0x07;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
      (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
    return 0;
  return len;
}

static void json_write_escape(FILE *f, unsigned char c)
{
  switch (c) {
  case '"':
    fputs("\\\"", f);
    return;
  case '\\':
    fputs("\\\\", f);
    return;
  case '\n':
    fputs("\\n", f);
    return;
  case '\r':
    fputs("\\r", f);
    return;
  case '\t':
    fputs("\\t", f);
    return;
  case '\b':
    fputs("\\b", f);
    return;
  case '\f':
    fputs("\\f", f);
    return;
  }
  fprintf(f, "\\u%04x", c);
}

void lc_json_write_string(FILE *f, const char *text, size_t len)
{
  const unsigned char *p = (const unsigned char *)text;
  size_t i = 0;

  fputc('"', f);
  while (i < len) {
    size_t n = json_utf8_length(p + i, len - i);
    if (n == 0) {
      fputs("\\ufffd", f);
      i++;
    } else if (n > 1) {
      fwrite(p + i, 1, n, f);
      i += n;
    } else if (p[i] < 0x20 || p[i] == '"' || p[i] == '\\' || p[i] == 0x7f) {
      json_write_escape(f, p[i++]);
    } else {
      fputc(p[i++], f);
    }
  }
  fputc('"', f);
}

void lc_json_string(struct lc_json *json, const char *text)
{
  if (text == NULL) {
    lc_json_null(json);
    return;
  }
  lc_json_string_n(json, text, strlen(text));
}

void lc_json_string_n(struct lc_json *json, const char *text, size_t len)
{
  json_before_item(json);
  lc_json_write_string(json->f, text, len);
}

void lc_json_uint(struct lc_json *json, uint64_t value)
{
  json_before_item(json);
  fprintf(json->f, "%" PRIu64, value);
}

void lc_json_int(struct lc_json *json, int64_t value)
{
  json_before_item(json);
  fprintf(json->f, "%" PRId64, value);
}

void lc_json_double(struct lc_json *json, double value)
{
  if (!isfinite(value)) {
    lc_json_null(json);
    return;
  }
  json_before_item(json);
  fprintf(json->f, "%.3f", value);
}

void lc_json_bool(struct lc_json *json, bool value)
{
  json_before_item(json);
  fputs(value ? "true" : "false", json->f);
}

void lc_json_null(struct lc_json *json)
{
  json_before_item(json);
  fputs("null", json->f);
}
