/* Annotation of one row: the verdict and the evidence behind it, written
 * as the columns appended after the input's own columns. */
#ifndef LC_RESULT_H
#define LC_RESULT_H

#include <stdbool.h>

#include "engine/verdict.h"
#include "io/csv_writer.h"

/* Room for a 254-octet path and its NUL, rounded up. */
#define LC_RESULT_ADDR_MAX 256
#define LC_RESULT_TEXT_MAX 256

struct lc_result {
  struct lc_verdict verdict;
  char normalized[LC_RESULT_ADDR_MAX];
  const char *provider; /* static name, or NULL */
  enum lc_tristate gateway;
  enum lc_tristate catch_all;
  bool disposable, role, free, duplicate;
  char smtp_code[32];
  enum lc_identity identity;
  /* The suggestion, the MX host and the SMTP message, each NUL-terminated
   * in TEXT at its offset; offset 0 is an empty string. They are set on
   * few rows or are short, so TEXT grows as needed instead of reserving
   * the longest of each, and keeps its size from one row to the next. */
  char *text;
  uint32_t text_len, text_cap;
  uint32_t suggestion_at, mx_at, message_at;
};

/* The texts of R (never NULL, "" when not set). */
static inline const char *lc_result_suggestion(const struct lc_result *r)
{
  return r->text != NULL ? r->text + r->suggestion_at : "";
}

static inline const char *lc_result_mx(const struct lc_result *r)
{
  return r->text != NULL ? r->text + r->mx_at : "";
}

static inline const char *lc_result_message(const struct lc_result *r)
{
  return r->text != NULL ? r->text + r->message_at : "";
}

/* Set a text of R to the first LC_RESULT_TEXT_MAX - 1 bytes of VALUE.
 * Without memory for it the text stays as it was. */
void lc_result_set_suggestion(struct lc_result *r, const char *value);
void lc_result_set_mx(struct lc_result *r, const char *value);
void lc_result_set_message(struct lc_result *r, const char *value);

/* Free the texts of R. */
void lc_result_release(struct lc_result *r);

/* Number and names of the annotation columns, in output order. */
#define LC_RESULT_COLUMNS 15
extern const char *const lc_result_column_names[LC_RESULT_COLUMNS];

/* Clear RESULT for a new row; its text buffer is kept. */
void lc_result_init(struct lc_result *result);

/* Append the annotation cells of RESULT to the writer's current row. */
enum lc_status lc_result_write(const struct lc_result *result,
                               struct lc_csv_writer *writer);

#endif
