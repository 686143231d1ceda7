/* Annotation columns of a row. */
#include "engine/result.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char *const lc_result_column_names[LC_RESULT_COLUMNS] = {
    "status",   "reason",    "normalized", "suggestion",   "mx",
    "provider", "gateway",   "catch_all",  "disposable",   "role",
    "free",     "duplicate", "smtp_code",  "smtp_message", "identity"};

void lc_result_init(struct lc_result *result)
{
  /* Clear the fixed fields and only the first byte of each text buffer:
   * this runs for every row. */
  memset(result, 0, offsetof(struct lc_result, normalized));
  result->normalized[0] = '\0';
  result->text_len = result->text != NULL ? 1 : 0;
  result->suggestion_at = result->mx_at = result->message_at = 0;
  result->provider = NULL;
  result->gateway = LC_TRI_UNSET;
  result->catch_all = LC_TRI_UNSET;
  result->disposable = result->role = result->free = false;
  result->duplicate = false;
  result->smtp_code[0] = '\0';
  result->identity = LC_IDENTITY_NOT_CHECKED;
  result->verdict.status = LC_STATUS_UNKNOWN;
  result->verdict.reason = LC_REASON_NOT_CHECKED;
}

/* Append VALUE (cut to LC_RESULT_TEXT_MAX - 1 bytes) to R's text and
 * store its offset in *AT. */
static void result_set(struct lc_result *r, uint32_t *at, const char *value)
{
  size_t len = strnlen(value, LC_RESULT_TEXT_MAX - 1);
  size_t need = (r->text_len > 0 ? r->text_len : 1) + len + 1;

  if (len == 0) {
    *at = 0;
    return;
  }
  if (need > r->text_cap) {
    size_t cap = r->text_cap > 0 ? r->text_cap : 64;
    char *text;

    while (cap < need)
      cap *= 2;
    if ((text = realloc(r->text, cap)) == NULL)
      return;
    r->text = text;
    r->text_cap = (uint32_t)cap;
  }
  if (r->text_len == 0) {
    r->text[0] = '\0';
    r->text_len = 1;
  }
  memcpy(r->text + r->text_len, value, len);
  r->text[r->text_len + len] = '\0';
  *at = r->text_len;
  r->text_len += (uint32_t)(len + 1);
}

void lc_result_set_suggestion(struct lc_result *r, const char *value)
{
  result_set(r, &r->suggestion_at, value);
}

void lc_result_set_mx(struct lc_result *r, const char *value)
{
  result_set(r, &r->mx_at, value);
}

void lc_result_set_message(struct lc_result *r, const char *value)
{
  result_set(r, &r->message_at, value);
}

void lc_result_release(struct lc_result *r)
{
  free(r->text);
  r->text = NULL;
  r->text_len = r->text_cap = 0;
  r->suggestion_at = r->mx_at = r->message_at = 0;
}

static const char *result_tristate(enum lc_tristate value)
{
  switch (value) {
  case LC_TRI_TRUE:
    return "true";
  case LC_TRI_FALSE:
    return "false";
  case LC_TRI_UNSET:
    break;
  }
  return "";
}

static const char *result_bool(bool value)
{
  return value ? "true" : "false";
}

enum lc_status lc_result_write(const struct lc_result *r,
                               struct lc_csv_writer *w)
{
  const char *cells[LC_RESULT_COLUMNS] = {lc_status_name(r->verdict.status),
                                          lc_reason_name(r->verdict.reason),
                                          r->normalized,
                                          lc_result_suggestion(r),
                                          lc_result_mx(r),
                                          r->provider ? r->provider : "",
                                          result_tristate(r->gateway),
                                          result_tristate(r->catch_all),
                                          result_bool(r->disposable),
                                          result_bool(r->role),
                                          result_bool(r->free),
                                          result_bool(r->duplicate),
                                          r->smtp_code,
                                          lc_result_message(r),
                                          r->identity == LC_IDENTITY_NOT_CHECKED
                                              ? ""
                                              : lc_identity_name(r->identity)};

  for (int i = 0; i < LC_RESULT_COLUMNS; i++) {
    enum lc_status status = lc_csv_writer_cell(w, cells[i]);
    if (status != LC_OK)
      return status;
  }
  return LC_OK;
}
