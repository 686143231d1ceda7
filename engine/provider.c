/* Provider table: loading data/providers.txt and user files, and matching
 * MX host names against its patterns (syntax in engine/provider.h).
 *
 * The table has a few dozen entries and is consulted once per MX host, so
 * a linear scan with a small glob matcher is enough. Patterns are checked
 * when they are loaded, which keeps the matcher free of error cases.
 */
#include "engine/provider.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/data.h"
#include "engine/log.h"

/* RFC 1035 2.3.4: 255 octets on the wire, 253 characters in text form. */
#define HOST_MAX 253

struct provider_entry {
  char name[LC_PROVIDER_NAME_MAX + 1];
  char pattern[HOST_MAX + 1];
  bool gateway;
};

struct provider_list {
  struct provider_entry *entries;
  size_t count, capacity;
};

static struct provider_list table;
static bool builtin_loaded;

static enum lc_status provider_load_builtin(void);
static enum lc_status provider_load_file(const char *path,
                                         struct provider_list *list);
static enum lc_status provider_parse_line(char *line,
                                          struct provider_list *list);
static bool pattern_is_valid(const char *pattern);
static bool is_host_char(char c);
static bool host_matches(const char *pattern, const char *host);

enum lc_status lc_provider_load(const char *extra_path)
{
  struct provider_list extra = {0};
  struct provider_entry *merged;
  enum lc_status status = LC_OK;

  if (!builtin_loaded) {
    status = provider_load_builtin();
    if (status != LC_OK)
      goto done;
  }
  if (extra_path == NULL)
    goto done;
  status = provider_load_file(extra_path, &extra);
  if (status != LC_OK || extra.count == 0)
    goto done;
  merged = malloc((extra.count + table.count) * sizeof(*merged));
  if (merged == NULL) {
    status = LC_ERR_NOMEM;
    goto done;
  }
  memcpy(merged, extra.entries, extra.count * sizeof(*merged));
  if (table.count > 0)
    memcpy(merged + extra.count, table.entries, table.count * sizeof(*merged));
  free(table.entries);
  table.entries = merged;
  table.count += extra.count;
  table.capacity = table.count;

done:
  free(extra.entries);
  return status;
}

const char *lc_provider_match(const char *mx_host, bool *gateway)
{
  char host[HOST_MAX + 1];
  size_t len = strlen(mx_host);

  if (!builtin_loaded && lc_provider_load(NULL) != LC_OK)
    return NULL;
  if (len > 0 && mx_host[len - 1] == '.')
    len--;
  if (len == 0 || len > HOST_MAX)
    return NULL;
  for (size_t i = 0; i < len; i++) {
    char c = mx_host[i];

    host[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    if (!is_host_char(host[i]) && host[i] != '.')
      return NULL;
  }
  host[len] = '\0';
  if (host[0] == '.' || strstr(host, "..") != NULL)
    return NULL;

  for (size_t i = 0; i < table.count; i++) {
    if (host_matches(table.entries[i].pattern, host)) {
      if (gateway != NULL)
        *gateway = table.entries[i].gateway;
      return table.entries[i].name;
    }
  }
  return NULL;
}

void lc_provider_unload(void)
{
  free(table.entries);
  memset(&table, 0, sizeof(table));
  builtin_loaded = false;
}

static enum lc_status provider_load_builtin(void)
{
  char line[512];
  size_t len = 0, lineno = 0;
  const char *text = lc_data_builtin("providers", &len);
  const char *end;

  if (text == NULL) {
    lc_error("built-in provider table is missing");
    return LC_ERR_INTERNAL;
  }
  end = text + len;
  while (text < end) {
    const char *lf = memchr(text, '\n', (size_t)(end - text));
    size_t n = lf != NULL ? (size_t)(lf - text) : (size_t)(end - text);
    enum lc_status status;

    lineno++;
    if (n >= sizeof(line)) {
      lc_error("data/providers.txt:%zu: line too long", lineno);
      return LC_ERR_FORMAT;
    }
    memcpy(line, text, n);
    line[n] = '\0';
    status = provider_parse_line(line, &table);
    if (status == LC_ERR_FORMAT)
      lc_error("data/providers.txt:%zu: invalid provider entry", lineno);
    if (status != LC_OK) {
      lc_provider_unload();
      return status;
    }
    text += n + 1;
  }
  builtin_loaded = true;
  return LC_OK;
}

/* Reads the entries of PATH into LIST (which the caller frees). */
static enum lc_status provider_load_file(const char *path,
                                         struct provider_list *list)
{
  enum lc_status status = LC_OK;
  char *line = NULL;
  size_t size = 0, lineno = 0;
  FILE *file = fopen(path, "r");

  if (file == NULL) {
    lc_error("cannot open provider file %s: %s", path, strerror(errno));
    return errno == ENOENT ? LC_ERR_NOTFOUND : LC_ERR_IO;
  }
  while (getline(&line, &size, file) >= 0) {
    lineno++;
    line[strcspn(line, "\r\n")] = '\0';
    status = provider_parse_line(line, list);
    if (status == LC_ERR_FORMAT)
      lc_error("%s:%zu: invalid provider entry; expected "
               "\"NAME yes|no PATTERN\" with a host name pattern",
               path, lineno);
    if (status != LC_OK)
      goto done;
  }
  if (ferror(file)) {
    lc_error("cannot read provider file %s: %s", path, strerror(errno));
    status = LC_ERR_IO;
  }

done:
  free(line);
  fclose(file);
  return status;
}

static enum lc_status list_append(struct provider_list *list,
                                  const struct provider_entry *entry)
{
  if (list->count == list->capacity) {
    size_t capacity = list->capacity == 0 ? 64 : list->capacity * 2;
    void *grown = realloc(list->entries, capacity * sizeof(*entry));

    if (grown == NULL)
      return LC_ERR_NOMEM;
    list->entries = grown;
    list->capacity = capacity;
  }
  list->entries[list->count++] = *entry;
  return LC_OK;
}

static bool name_is_valid(const char *name)
{
  size_t len = strlen(name);

  return len > 0 && len <= LC_PROVIDER_NAME_MAX &&
         strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}

/* Parses one line ("NAME yes|no PATTERN", a comment or blank) and appends
 * its entry to LIST. LINE is modified. */
static enum lc_status provider_parse_line(char *line,
                                          struct provider_list *list)
{
  static const char blanks[] = " \t";
  struct provider_entry entry;
  char *save = NULL, *name, *gateway, *pattern;

  line[strcspn(line, "#")] = '\0';
  name = strtok_r(line, blanks, &save);
  if (name == NULL)
    return LC_OK;
  gateway = strtok_r(NULL, blanks, &save);
  pattern = strtok_r(NULL, blanks, &save);
  if (gateway == NULL || pattern == NULL ||
      strtok_r(NULL, blanks, &save) != NULL)
    return LC_ERR_FORMAT;
  if (!name_is_valid(name) ||
      (strcmp(gateway, "yes") != 0 && strcmp(gateway, "no") != 0))
    return LC_ERR_FORMAT;
  for (char *c = pattern; *c != '\0'; c++) {
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a');
  }
  if (strlen(pattern) > HOST_MAX || !pattern_is_valid(pattern))
    return LC_ERR_FORMAT;
  strcpy(entry.name, name);
  strcpy(entry.pattern, pattern);
  entry.gateway = strcmp(gateway, "yes") == 0;
  return list_append(list, &entry);
}

static bool is_host_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* Whether the set member at P[I] is a range such as "1-4". */
static bool set_range_at(const char *p, size_t i)
{
  return p[i + 1] == '-' && is_host_char(p[i + 2]) && p[i + 2] != '-';
}

/* Returns the length of the set "[...]" at P, or 0 when it is not a
 * non-empty set of host characters and ranges such as "1-4". */
static size_t set_length(const char *p)
{
  size_t i = 1;

  while (is_host_char(p[i])) {
    if (set_range_at(p, i)) {
      if (p[i] > p[i + 2])
        return 0;
      i += 3;
    } else {
      i++;
    }
  }
  return i > 1 && p[i] == ']' ? i + 1 : 0;
}

/* A pattern is labels of host characters, "*" and sets, none empty. */
static bool pattern_is_valid(const char *pattern)
{
  const char *p = pattern;
  bool label_empty = true;

  for (; *p != '\0'; p++) {
    if (*p == '.') {
      if (label_empty)
        return false;
      label_empty = true;
      continue;
    }
    if (*p == '[') {
      size_t n = set_length(p);

      if (n == 0)
        return false;
      p += n - 1;
    } else if (*p != '*' && !is_host_char(*p)) {
      return false;
    }
    label_empty = false;
  }
  return !label_empty;
}

/* Whether host character C belongs to the set at P (validated). */
static bool set_contains(const char *p, char c)
{
  for (size_t i = 1; p[i] != ']';) {
    if (set_range_at(p, i)) {
      if (c >= p[i] && c <= p[i + 2])
        return true;
      i += 3;
    } else {
      if (c == p[i])
        return true;
      i++;
    }
  }
  return false;
}

/* Glob match of one pattern label (PLEN bytes) against one host label.
 * On a mismatch, the most recent "*" takes one more character and the
 * match resumes after it, which is complete for "*" within one label. */
static bool label_matches(const char *p, size_t plen, const char *h,
                          size_t hlen)
{
  size_t pi = 0, hi = 0, star_p = 0, star_h = 0;
  bool star = false;

  while (hi < hlen) {
    size_t token = pi < plen && p[pi] == '[' ? set_length(p + pi) : 1;

    if (pi < plen && p[pi] == '*') {
      star = true;
      star_p = ++pi;
      star_h = hi;
    } else if (pi < plen &&
               (p[pi] == '[' ? set_contains(p + pi, h[hi]) : p[pi] == h[hi])) {
      pi += token;
      hi++;
    } else if (star) {
      pi = star_p;
      hi = ++star_h;
    } else {
      return false;
    }
  }
  while (pi < plen && p[pi] == '*')
    pi++;
  return pi == plen;
}

/* Matches PATTERN against HOST label by label; both must run out of labels
 * together. */
static bool labels_match(const char *pattern, const char *host)
{
  for (;;) {
    const char *pdot = strchr(pattern, '.');
    const char *hdot = strchr(host, '.');
    size_t plen = pdot != NULL ? (size_t)(pdot - pattern) : strlen(pattern);
    size_t hlen = hdot != NULL ? (size_t)(hdot - host) : strlen(host);

    if (!label_matches(pattern, plen, host, hlen))
      return false;
    if (pdot == NULL || hdot == NULL)
      return pdot == NULL && hdot == NULL;
    pattern = pdot + 1;
    host = hdot + 1;
  }
}

static bool host_matches(const char *pattern, const char *host)
{
  if (pattern[0] != '*' || pattern[1] != '.')
    return labels_match(pattern, host);
  /* A leading "*." stands for one or more whole labels. */
  for (const char *dot = strchr(host, '.'); dot != NULL;
       dot = strchr(dot + 1, '.')) {
    if (labels_match(pattern + 2, dot + 1))
      return true;
  }
  return false;
}
