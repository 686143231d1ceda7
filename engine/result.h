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
  char suggestion[LC_RESULT_ADDR_MAX];
  char mx[LC_RESULT_TEXT_MAX];
  const char *provider; /* static name, or NULL */
  enum lc_tristate gateway;
  enum lc_tristate catch_all;
  bool disposable, role, free, duplicate;
  char smtp_code[32];
  char smtp_message[LC_RESULT_TEXT_MAX];
  enum lc_identity identity;
};

/* Number and names of the annotation columns, in output order. */
#define LC_RESULT_COLUMNS 15
extern const char *const lc_result_column_names[LC_RESULT_COLUMNS];

void lc_result_init(struct lc_result *result);

/* Append the annotation cells of RESULT to the writer's current row. */
enum lc_status lc_result_write(const struct lc_result *result,
                               struct lc_csv_writer *writer);

#endif
