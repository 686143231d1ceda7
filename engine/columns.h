/* Finding the address column: by the --column option, by a header name
 * such as "Email Address", or by content. */
#ifndef LC_COLUMNS_H
#define LC_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/status.h"
#include "io/row.h"

/* Resolve SPEC (a 1-based number, or a header name compared without case
 * and surrounding blanks) against HEADER (NULL without a header row).
 * Stores the 0-based index in *index. On failure writes a message naming
 * SPEC and the available columns to ERR. */
enum lc_status lc_columns_from_spec(const char *spec,
                                    const struct lc_row *header, size_t *index,
                                    char *err, size_t err_size);

/* Find a header field whose name means "email" (email, e-mail, Email
 * Address, mail, courriel, ...). Returns false when none does. */
bool lc_columns_from_header(const struct lc_row *header, size_t *index);

/* Whether FIELD (LEN bytes) looks like an address: an '@' with text on
 * both sides and a dot after it. */
bool lc_columns_looks_like_address(const char *field, size_t len);

/* Pick the column where most of ROWS (COUNT rows) hold something that
 * looks like an address (one '@' with text on both sides). Returns false
 * when no column does. */
bool lc_columns_from_content(const struct lc_row *const *rows, size_t count,
                             size_t *index);

#endif
