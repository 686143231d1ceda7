/* Loading and lookups of the role, disposable, free and popular lists. */
#include "engine/lists.h"

#include <dirent.h>
#include <errno.h>
#include <libpsl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/address.h"
#include "engine/data.h"
#include "engine/log.h"
#include "engine/strset.h"

/* User data files larger than this are rejected as a likely mistake. */
#define LIST_FILE_MAX ((size_t)64 << 20)

struct lc_lists {
  struct lc_strset sets[LC_LIST_KINDS];
  /* Union of the domain lists, and the enum lc_listed bits of each of its
   * entries, by entry index. */
  struct lc_strset known;
  unsigned char *known_flags;
  size_t known_cap;
  const psl_ctx_t *psl;
  psl_ctx_t *psl_owned; /* set when the list came from psl_latest() */
};

static const char *const list_names[LC_LIST_KINDS] = {"roles", "disposable",
                                                      "free", "popular"};

const char *lc_list_name(enum lc_list_kind kind)
{
  return kind < LC_LIST_KINDS ? list_names[kind] : "unknown";
}

static char ascii_lower(char c)
{
  return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
}

static bool is_blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r';
}

/* Return whether S can be the base of a local part that lc_lists_is_role()
 * looks up: no '@', no '+' (the lookup cuts there), no control or blank. */
static bool valid_role(const char *s, size_t n)
{
  if (n > LC_ADDR_LOCAL_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];

    if (c <= ' ' || c == 0x7f || c == '@' || c == '+')
      return false;
  }
  return true;
}

static enum lc_status add_role(struct lc_lists *lists, const char *s, size_t n,
                               const char *source, size_t line)
{
  char buf[LC_ADDR_LOCAL_MAX];

  if (!valid_role(s, n)) {
    lc_warn("%s:%zu: invalid role name '%.*s', skipped", source, line, (int)n,
            s);
    return LC_OK;
  }
  for (size_t i = 0; i < n; i++)
    buf[i] = ascii_lower(s[i]);
  return lc_strset_add(&lists->sets[LC_LIST_ROLES], buf, n, NULL);
}

static const unsigned char kind_flags[LC_LIST_KINDS] = {
    0, LC_LISTED_DISPOSABLE, LC_LISTED_FREE, LC_LISTED_POPULAR};

/* Add DOMAIN to the union of the domain lists with the bit of KIND. */
static enum lc_status add_known(struct lc_lists *lists, enum lc_list_kind kind,
                                const char *domain, size_t len)
{
  enum lc_status status;
  size_t index;

  if (lists->known.count == lists->known_cap) {
    size_t cap = lists->known_cap ? lists->known_cap * 2 : 256;
    unsigned char *grown = realloc(lists->known_flags, cap);

    if (grown == NULL)
      return LC_ERR_NOMEM;
    memset(grown + lists->known_cap, 0, cap - lists->known_cap);
    lists->known_flags = grown;
    lists->known_cap = cap;
  }
  status = lc_strset_add(&lists->known, domain, len, NULL);
  if (status != LC_OK)
    return status;
  index = lc_strset_find(&lists->known, domain, len);
  lists->known_flags[index] |= kind_flags[kind];
  return LC_OK;
}

static enum lc_status add_domain(struct lc_lists *lists, enum lc_list_kind kind,
                                 const char *s, size_t n, const char *source,
                                 size_t line)
{
  char buf[LC_ADDR_DOMAIN_MAX + 1];
  const char *reason;
  unsigned flags = 0;
  enum lc_status status;
  size_t len;

  reason = lc_address_domain(s, n, buf, &len, &flags);
  if (reason == NULL && (flags & LC_ADDR_LITERAL))
    reason = "address literal";
  if (reason != NULL) {
    lc_warn("%s:%zu: invalid domain '%.*s' (%s), skipped", source, line, (int)n,
            s, reason);
    return LC_OK;
  }
  status = lc_strset_add(&lists->sets[kind], buf, len, NULL);
  if (status == LC_OK)
    status = add_known(lists, kind, buf, len);
  return status;
}

/* Return the entry on one line: without comment and surrounding blanks. */
static const char *line_entry(const char *line, size_t len, size_t *n)
{
  const char *hash = memchr(line, '#', len);

  if (hash != NULL)
    len = (size_t)(hash - line);
  while (len > 0 && is_blank(line[len - 1]))
    len--;
  while (len > 0 && is_blank(line[0]))
    line++, len--;
  *n = len;
  return line;
}

/* Add every entry of TEXT to one list. SOURCE names the text in warnings. */
static enum lc_status load_text(struct lc_lists *lists, enum lc_list_kind kind,
                                const char *text, size_t len,
                                const char *source)
{
  enum lc_status status = LC_OK;
  size_t line = 0;

  while (len > 0 && status == LC_OK) {
    const char *nl = memchr(text, '\n', len);
    size_t line_len = nl != NULL ? (size_t)(nl - text) : len;
    size_t n;
    const char *entry = line_entry(text, line_len, &n);

    line++;
    if (n > 0 && kind == LC_LIST_ROLES)
      status = add_role(lists, entry, n, source, line);
    else if (n > 0)
      status = add_domain(lists, kind, entry, n, source, line);
    text += line_len + (nl != NULL);
    len -= line_len + (nl != NULL);
  }
  return status;
}

/* Read all of FP (opened from PATH) into a new NUL-terminated buffer. */
static enum lc_status read_all(FILE *fp, const char *path, char **text,
                               size_t *len, char *err, size_t err_size)
{
  enum lc_status status = LC_OK;
  size_t cap = 0, used = 0, got = 1;
  char *buf = NULL, *grown;

  while (got > 0) {
    if (used + 1 >= cap) {
      cap = cap ? cap * 2 : 8192;
      if (cap > LIST_FILE_MAX) {
        snprintf(err, err_size, "cannot read %s: larger than %zu bytes", path,
                 (size_t)LIST_FILE_MAX);
        status = LC_ERR_LIMIT;
        goto done;
      }
      if ((grown = realloc(buf, cap)) == NULL) {
        status = LC_ERR_NOMEM;
        goto done;
      }
      buf = grown;
    }
    got = fread(buf + used, 1, cap - used - 1, fp);
    used += got;
  }
  if (ferror(fp)) {
    snprintf(err, err_size, "cannot read %s: %s", path, strerror(errno));
    status = LC_ERR_IO;
    goto done;
  }
  buf[used] = '\0';
  *text = buf;
  *len = used;
  buf = NULL;
done:
  free(buf);
  return status;
}

/* Add DIR/NAME.txt to one list; a missing file is not an error. */
static enum lc_status load_file(struct lc_lists *lists, enum lc_list_kind kind,
                                const char *dir, char *err, size_t err_size)
{
  char path[4096];
  char *text = NULL;
  enum lc_status status;
  size_t len;
  FILE *fp;

  if (snprintf(path, sizeof(path), "%s/%s.txt", dir, list_names[kind]) >=
      (int)sizeof(path)) {
    snprintf(err, err_size, "--data-dir path too long: %s", dir);
    return LC_ERR_INVALID;
  }
  if ((fp = fopen(path, "r")) == NULL) {
    if (errno == ENOENT)
      return LC_OK;
    snprintf(err, err_size, "cannot open %s: %s", path, strerror(errno));
    return LC_ERR_IO;
  }
  status = read_all(fp, path, &text, &len, err, err_size);
  if (status == LC_OK)
    status = load_text(lists, kind, text, len, path);
  fclose(fp);
  free(text);
  return status;
}

static enum lc_status load_builtin(struct lc_lists *lists,
                                   enum lc_list_kind kind, char *err,
                                   size_t err_size)
{
  char source[64];
  size_t len = 0;
  const char *text = lc_data_builtin(list_names[kind], &len);

  snprintf(source, sizeof(source), "built-in %s.txt", list_names[kind]);
  if (text == NULL) {
    snprintf(err, err_size, "%s is missing from this build", source);
    return LC_ERR_INTERNAL;
  }
  return load_text(lists, kind, text, len, source);
}

static enum lc_status open_extra_dir(const char *dir, char *err,
                                     size_t err_size)
{
  DIR *d = opendir(dir);

  if (d == NULL) {
    snprintf(err, err_size, "cannot open --data-dir %s: %s", dir,
             strerror(errno));
    return LC_ERR_IO;
  }
  closedir(d);
  return LC_OK;
}

static void use_public_suffixes(struct lc_lists *lists)
{
  lists->psl = psl_builtin();
  if (lists->psl != NULL)
    return;
  lists->psl_owned = psl_latest(NULL);
  lists->psl = lists->psl_owned;
  /* NOTE: without a public suffix list a listed parent domain matches
   * even when it is itself a public suffix. */
  if (lists->psl == NULL)
    lc_warn("no public suffix list found (libpsl has none built in and none "
            "is installed); parent domains are matched without it");
}

enum lc_status lc_lists_new(const char *extra_dir, struct lc_lists **out,
                            char *err, size_t err_size)
{
  struct lc_lists *lists = calloc(1, sizeof(*lists));
  enum lc_status status = LC_OK;

  snprintf(err, err_size, "out of memory loading the lists");
  if (lists == NULL)
    return LC_ERR_NOMEM;
  for (int k = 0; k < LC_LIST_KINDS; k++)
    lc_strset_init(&lists->sets[k]);
  lc_strset_init(&lists->known);
  use_public_suffixes(lists);
  for (int k = 0; k < LC_LIST_KINDS && status == LC_OK; k++)
    status = load_builtin(lists, (enum lc_list_kind)k, err, err_size);
  if (status == LC_OK && extra_dir != NULL)
    status = open_extra_dir(extra_dir, err, err_size);
  for (int k = 0; k < LC_LIST_KINDS && status == LC_OK && extra_dir; k++)
    status = load_file(lists, (enum lc_list_kind)k, extra_dir, err, err_size);
  if (status != LC_OK)
    goto done;
  *out = lists;
  lists = NULL;
done:
  lc_lists_free(lists);
  return status;
}

void lc_lists_free(struct lc_lists *lists)
{
  if (lists == NULL)
    return;
  for (int k = 0; k < LC_LIST_KINDS; k++)
    lc_strset_clear(&lists->sets[k]);
  lc_strset_clear(&lists->known);
  free(lists->known_flags);
  psl_free(lists->psl_owned);
  free(lists);
}

bool lc_lists_is_role(const struct lc_lists *lists, const char *local,
                      size_t len)
{
  char buf[LC_ADDR_LOCAL_MAX];
  size_t n;

  if (len >= 2 && local[0] == '"' && local[len - 1] == '"')
    local++, len -= 2;
  for (n = 0; n < len && local[n] != '+'; n++) {
    if (n == sizeof(buf))
      return false;
    buf[n] = ascii_lower(local[n]);
  }
  return n > 0 && lc_strset_has(&lists->sets[LC_LIST_ROLES], buf, n);
}

/* Return the length of the registrable domain of DOMAIN, 0 when every
 * parent counts (no public suffix list), or LC_ADDR_DOMAIN_MAX + 1 when
 * DOMAIN is itself a public suffix, so that no parent counts. */
static size_t registrable_len(const struct lc_lists *lists, const char *domain,
                              size_t len)
{
  char buf[LC_ADDR_DOMAIN_MAX + 1];
  const char *registrable;

  if (lists->psl == NULL)
    return 0;
  if (len > LC_ADDR_DOMAIN_MAX)
    return LC_ADDR_DOMAIN_MAX + 1;
  memcpy(buf, domain, len);
  buf[len] = '\0';
  registrable = psl_registrable_domain(lists->psl, buf);
  return registrable != NULL ? strlen(registrable) : LC_ADDR_DOMAIN_MAX + 1;
}

static unsigned known_lookup(const struct lc_lists *lists, const char *s,
                             size_t len)
{
  size_t index = lc_strset_find(&lists->known, s, len);

  return index == LC_STRSET_NONE ? 0 : lists->known_flags[index];
}

unsigned lc_lists_domain_flags(const struct lc_lists *lists, const char *domain,
                               size_t len)
{
  const char *end = domain + len, *dot;
  size_t reg_len = LC_STRSET_NONE; /* looked up on the first parent hit */
  unsigned flags;

  if (len == 0 || domain[0] == '[')
    return 0;
  flags = known_lookup(lists, domain, len);
  /* Parents are tried longest first and stop at two labels. libpsl runs
   * only when a parent is listed, which keeps unlisted domains cheap. */
  for (dot = memchr(domain, '.', len); dot != NULL;
       dot = memchr(dot + 1, '.', (size_t)(end - dot - 1))) {
    size_t rest = (size_t)(end - dot - 1);
    unsigned hit;

    if (memchr(dot + 1, '.', rest) == NULL)
      break;
    if ((hit = known_lookup(lists, dot + 1, rest)) == 0)
      continue;
    if (reg_len == LC_STRSET_NONE)
      reg_len = registrable_len(lists, domain, len);
    if (rest < reg_len)
      break; /* above the registrable domain, and so are the rest */
    flags |= hit;
  }
  return flags;
}

bool lc_lists_is_disposable(const struct lc_lists *lists, const char *domain,
                            size_t len)
{
  return lc_lists_domain_flags(lists, domain, len) & LC_LISTED_DISPOSABLE;
}

bool lc_lists_is_free(const struct lc_lists *lists, const char *domain,
                      size_t len)
{
  return lc_lists_domain_flags(lists, domain, len) & LC_LISTED_FREE;
}

bool lc_lists_is_known(const struct lc_lists *lists, const char *domain,
                       size_t len)
{
  return lc_lists_domain_flags(lists, domain, len) != 0;
}

size_t lc_lists_count(const struct lc_lists *lists, enum lc_list_kind kind)
{
  return lc_strset_count(&lists->sets[kind]);
}

const char *lc_lists_entry(const struct lc_lists *lists, enum lc_list_kind kind,
                           size_t index, size_t *len)
{
  return lc_strset_at(&lists->sets[kind], index, len);
}
