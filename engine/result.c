/* Annotation columns of a row. */
#include "engine/result.h"

#include <stddef.h>
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
  result->suggestion[0] = '\0';
  result->mx[0] = '\0';
  result->provider = NULL;
  result->gateway = LC_TRI_UNSET;
  result->catch_all = LC_TRI_UNSET;
  result->disposable = result->role = result->free = false;
  result->duplicate = false;
  result->smtp_code[0] = '\0';
  result->smtp_message[0] = '\0';
  result->identity = LC_IDENTITY_NOT_CHECKED;
  result->verdict.status = LC_STATUS_UNKNOWN;
  result->verdict.reason = LC_REASON_NOT_CHECKED;
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
                                          r->suggestion,
                                          r->mx,
                                          r->provider ? r->provider : "",
                                          result_tristate(r->gateway),
                                          result_tristate(r->catch_all),
                                          result_bool(r->disposable),
                                          result_bool(r->role),
                                          result_bool(r->free),
                                          result_bool(r->duplicate),
                                          r->smtp_code,
                                          r->smtp_message,
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
