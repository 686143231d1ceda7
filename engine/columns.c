/* Address column detection. */
#include "engine/columns.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Header names, folded: lower-case ASCII with blanks, '-', '_', '.' and
 * quotes removed. Non-ASCII letters stay as their UTF-8 bytes. */
static const char *const email_headers[] = {"email",
                                            "emailaddress",
                                            "mail",
                                            "mailaddress",
                                            "email1",
                                            "primaryemail",
                                            "workemail",
                                            "businessemail",
                                            "contactemail",
                                            "emailaddress1",
                                            "courriel",
                                            "adresseemail",
                                            "adressemail",
                                            "correo",
                                            "correoelectronico",
                                            "correoelectr\xc3\xb3nico",
                                            "emailadresse",
                                            "epost",
                                            "posta",
                                            "indirizzoemail",
                                            "emails"};

/* Fold NAME (LEN bytes) into OUT (size SIZE) as described above. */
static void columns_fold(const char *name, size_t len, char *out, size_t size)
{
  size_t n = 0;

  for (size_t i = 0; i < len && n + 1 < size; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c == ' ' || c == '\t' || c == '-' || c == '_' || c == '.' || c == '"' ||
        c == '\'' || c == '\r' || c == '\n')
      continue;
    out[n++] = (char)tolower(c);
  }
  out[n] = '\0';
}

bool lc_columns_from_header(const struct lc_row *header, size_t *index)
{
  char folded[128];
  size_t len;

  /* The reader strips a byte order mark, so the first name compares like
   * the others. */
  for (uint32_t i = 0; i < header->nfields; i++) {
    const char *name = lc_row_field(header, i, &len);
    columns_fold(name, len, folded, sizeof(folded));
    for (size_t k = 0; k < sizeof(email_headers) / sizeof(*email_headers);
         k++) {
      if (strcmp(folded, email_headers[k]) == 0) {
        *index = i;
        return true;
      }
    }
  }
  return false;
}

static bool columns_trim_equal(const char *field, size_t len, const char *spec)
{
  size_t spec_len = strlen(spec);

  while (len > 0 && isspace((unsigned char)*field)) {
    field++;
    len--;
  }
  while (len > 0 && isspace((unsigned char)field[len - 1]))
    len--;
  return len == spec_len && strncasecmp(field, spec, len) == 0;
}

static void columns_list(const struct lc_row *header, char *buf, size_t size)
{
  size_t n = 0, len;

  buf[0] = '\0';
  for (uint32_t i = 0; header != NULL && i < header->nfields && n < size; i++) {
    const char *name = lc_row_field(header, i, &len);
    int w = snprintf(buf + n, size - n, "%s%u=\"%.*s\"", i ? ", " : "", i + 1,
                     (int)(len > 40 ? 40 : len), name);
    if (w < 0)
      break;
    n += (size_t)w;
  }
}

enum lc_status lc_columns_from_spec(const char *spec,
                                    const struct lc_row *header, size_t *index,
                                    char *err, size_t err_size)
{
  char *end;
  char names[512];
  unsigned long number = strtoul(spec, &end, 10);
  size_t len;

  if (*spec != '\0' && *end == '\0') {
    if (number == 0) {
      snprintf(err, err_size, "invalid --column %s: column numbers start at 1",
               spec);
      return LC_ERR_INVALID;
    }
    if (header != NULL && number > header->nfields) {
      snprintf(err, err_size,
               "invalid --column %s: the header has %u columns; give a "
               "number from 1 to %u or a column name",
               spec, header->nfields, header->nfields);
      return LC_ERR_INVALID;
    }
    *index = number - 1;
    return LC_OK;
  }
  for (uint32_t i = 0; header != NULL && i < header->nfields; i++) {
    const char *name = lc_row_field(header, i, &len);
    if (columns_trim_equal(name, len, spec)) {
      *index = i;
      return LC_OK;
    }
  }
  if (header == NULL) {
    snprintf(err, err_size,
             "--column %s names a column, but --no-header says there is "
             "no header row; give the column number instead",
             spec);
    return LC_ERR_INVALID;
  }
  columns_list(header, names, sizeof(names));
  snprintf(err, err_size,
           "column \"%s\" not found in the header; the columns are: %s", spec,
           names);
  return LC_ERR_NOTFOUND;
}

bool lc_columns_looks_like_address(const char *field, size_t len)
{
  const char *at = memchr(field, '@', len);

  return at != NULL && at > field && at < field + len - 1 &&
         memchr(at + 1, '.', (size_t)(field + len - at - 1)) != NULL;
}

bool lc_columns_from_content(const struct lc_row *const *rows, size_t count,
                             size_t *index)
{
  size_t best = 0, best_hits = 0, len;
  uint32_t width = 0;

  for (size_t r = 0; r < count; r++)
    if (rows[r]->nfields > width)
      width = rows[r]->nfields;
  for (uint32_t c = 0; c < width; c++) {
    size_t hits = 0;
    for (size_t r = 0; r < count; r++) {
      if (c >= rows[r]->nfields)
        continue;
      const char *field = lc_row_field(rows[r], c, &len);
      hits += lc_columns_looks_like_address(field, len);
    }
    if (hits > best_hits) {
      best = c;
      best_hits = hits;
    }
  }
  if (best_hits == 0)
    return false;
  *index = best;
  return true;
}
