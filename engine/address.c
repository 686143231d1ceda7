/* Address field extraction and the local-part check (RFC 5321, RFC 6531).
 *
 * The field is narrowed step by step as a view (pointer and length) into
 * the caller's bytes: white space, display name, "mailto:" and its query
 * are cut away without copying. Only a mailto URI with %XX escapes is
 * decoded, into a buffer on the stack. The domain is checked in
 * engine/address_domain.c.
 */
#include "engine/address.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

struct view {
  const char *p;
  size_t n;
};

static bool is_space_cp(unsigned cp)
{
  switch (cp) {
  case ' ':
  case '\t':
  case '\n':
  case '\v':
  case '\f':
  case '\r':
  case 0x85:   /* next line */
  case 0xa0:   /* no-break space */
  case 0x1680: /* ogham space mark */
  case 0x2028: /* line separator */
  case 0x2029: /* paragraph separator */
  case 0x202f: /* narrow no-break space */
  case 0x205f: /* medium mathematical space */
  case 0x2060: /* word joiner */
  case 0x3000: /* ideographic space */
  case 0xfeff: /* byte order mark, zero width no-break space */
    return true;
  default:
    return cp >= 0x2000 && cp <= 0x200b; /* en quad .. zero width space */
  }
}

size_t lc_utf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
  size_t n;
  unsigned c, min;

  if (s[0] >= 0xc2 && s[0] <= 0xdf)
    n = 2, c = s[0] & 0x1f, min = 0x80;
  else if (s[0] >= 0xe0 && s[0] <= 0xef)
    n = 3, c = s[0] & 0x0f, min = 0x800;
  else if (s[0] >= 0xf0 && s[0] <= 0xf4)
    n = 4, c = s[0] & 0x07, min = 0x10000;
  else
    return 0;
  if (n > len)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    c = (c << 6) | (s[i] & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
    return 0;
  *cp = c;
  return n;
}

/* Return the length of the white-space character that starts V, or 0. */
static size_t space_at_start(struct view v)
{
  const unsigned char *s = (const unsigned char *)v.p;
  unsigned cp;
  size_t n;

  if (s[0] < 0x80)
    return is_space_cp(s[0]) ? 1 : 0;
  n = lc_utf8_decode(s, v.n, &cp);
  return n > 0 && is_space_cp(cp) ? n : 0;
}

/* Return the length of the white-space character that ends V, or 0. */
static size_t space_at_end(struct view v)
{
  const unsigned char *s = (const unsigned char *)v.p;
  size_t start = v.n - 1;
  unsigned cp;

  if (s[start] < 0x80)
    return is_space_cp(s[start]) ? 1 : 0;
  while (start > 0 && v.n - start < 4 && (s[start] & 0xc0) == 0x80)
    start--;
  if (lc_utf8_decode(s + start, v.n - start, &cp) != v.n - start)
    return 0;
  return is_space_cp(cp) ? v.n - start : 0;
}

static struct view trim(struct view v)
{
  size_t n;

  while (v.n > 0 && (n = space_at_start(v)) > 0)
    v.p += n, v.n -= n;
  while (v.n > 0 && (n = space_at_end(v)) > 0)
    v.n -= n;
  return v;
}

/* Return the offset of the first C in V outside a quoted string, or V.n.
 * A backslash inside quotes escapes the next byte. */
static size_t find_unquoted(struct view v, char c)
{
  bool quoted = false;

  if (memchr(v.p, c, v.n) == NULL)
    return v.n; /* the common case, found with a vectorised scan */

  for (size_t i = 0; i < v.n; i++) {
    if (quoted && v.p[i] == '\\')
      i++;
    else if (v.p[i] == '"')
      quoted = !quoted;
    else if (!quoted && v.p[i] == c)
      return i;
  }
  return v.n;
}

/* Narrow "Display Name <addr> (comment)" to "addr". Returns NULL or the
 * reason the field is invalid. */
static const char *take_angle_addr(struct view *v)
{
  size_t open = find_unquoted(*v, '<');
  struct view inner, rest;
  size_t close;

  if (open == v->n)
    return NULL;
  inner.p = v->p + open + 1;
  inner.n = v->n - open - 1;
  close = find_unquoted(inner, '>');
  if (close == inner.n)
    return "missing '>'";
  rest.p = inner.p + close + 1;
  rest.n = inner.n - close - 1;
  rest = trim(rest);
  /* A trailing RFC 5322 comment is common in exports. Other text means
   * the field contains more than one mailbox, or garbage. */
  if (rest.n > 0 && (rest.p[0] != '(' || rest.p[rest.n - 1] != ')'))
    return "text after '>'";
  inner.n = close;
  *v = trim(inner);
  return NULL;
}

static int hex_value(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)(c | 0x20);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* Decode the %XX escapes of V into BUF (at least V.n bytes) and point V at
 * the result. Returns NULL or the reason V is invalid. */
static const char *percent_decode(struct view *v, char *buf)
{
  size_t out = 0;

  for (size_t i = 0; i < v->n; i++) {
    int hi, lo;

    if (v->p[i] != '%') {
      buf[out++] = v->p[i];
      continue;
    }
    if (i + 2 >= v->n)
      return "invalid percent-encoding in mailto URI";
    hi = hex_value(v->p[i + 1]);
    lo = hex_value(v->p[i + 2]);
    if (hi < 0 || lo < 0)
      return "invalid percent-encoding in mailto URI";
    buf[out++] = (char)(hi << 4 | lo);
    i += 2;
  }
  v->p = buf;
  v->n = out;
  return NULL;
}

/* Strip "mailto:" (any case), its "?query" and its escapes (RFC 6068). */
static const char *take_mailto(struct view *v, char *buf)
{
  const char *query;

  if (v->n < 7 || (v->p[0] | 0x20) != 'm' ||
      strncasecmp(v->p, "mailto:", 7) != 0)
    return NULL;
  v->p += 7;
  v->n -= 7;
  if ((query = memchr(v->p, '?', v->n)) != NULL)
    v->n = (size_t)(query - v->p);
  if (memchr(v->p, '%', v->n) != NULL) {
    const char *reason = percent_decode(v, buf);

    if (reason != NULL)
      return reason;
  }
  *v = trim(*v);
  return NULL;
}

/* RFC 5322 atext: letters, digits and the specials SMTP allows in an atom. */
static bool is_atext(unsigned char c)
{
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9'))
    return true;
  switch (c) {
  case '!':
  case '#':
  case '$':
  case '%':
  case '&':
  case '\'':
  case '*':
  case '+':
  case '-':
  case '/':
  case '=':
  case '?':
  case '^':
  case '_':
  case '`':
  case '{':
  case '|':
  case '}':
  case '~':
    return true;
  default:
    return false;
  }
}

/* Check the non-ASCII character at S (LEN bytes left): well-formed UTF-8,
 * and neither a C1 control nor a space. Stores its length in *N. */
static const char *check_utf8_char(const unsigned char *s, size_t len,
                                   size_t *n)
{
  unsigned cp;

  if ((*n = lc_utf8_decode(s, len, &cp)) == 0)
    return "invalid UTF-8 in local part";
  if (cp < 0xa0 || is_space_cp(cp))
    return "invalid character in local part";
  return NULL;
}

static const char *check_dot_atom(const unsigned char *s, size_t len,
                                  unsigned *flags)
{
  const char *reason;

  for (size_t i = 0; i < len; i++) {
    size_t n;

    if (s[i] == '.') {
      if (i == 0)
        return "local part starts with a dot";
      if (i == len - 1)
        return "local part ends with a dot";
      if (s[i - 1] == '.')
        return "consecutive dots in local part";
    } else if (s[i] < 0x80) {
      if (!is_atext(s[i]))
        return "invalid character in local part";
    } else {
      if ((reason = check_utf8_char(s + i, len - i, &n)) != NULL)
        return reason;
      *flags |= LC_ADDR_UTF8_LOCAL;
      i += n - 1;
    }
  }
  return NULL;
}

/* Quoted-string of RFC 5321: qtextSMTP is %d32-33 / %d35-91 / %d93-126,
 * quoted-pairSMTP is a backslash and %d32-126; RFC 6531 adds UTF-8. */
static const char *check_quoted(const unsigned char *s, size_t len,
                                unsigned *flags)
{
  const char *reason;
  size_t i;

  *flags |= LC_ADDR_QUOTED_LOCAL;
  for (i = 1; i < len && s[i] != '"'; i++) {
    size_t n;

    if (s[i] == '\\') {
      if (++i == len || s[i] < 32 || s[i] > 126)
        return "invalid escape in quoted local part";
    } else if (s[i] >= 0x80) {
      if ((reason = check_utf8_char(s + i, len - i, &n)) != NULL)
        return reason;
      *flags |= LC_ADDR_UTF8_LOCAL;
      i += n - 1;
    } else if (s[i] < 32 || s[i] == 127) {
      return "invalid character in quoted local part";
    }
  }
  if (i >= len)
    return "unterminated quoted local part";
  if (i != len - 1)
    return "text after quoted local part";
  if (len == 2)
    return "empty quoted local part";
  return NULL;
}

static const char *check_local(const char *local, size_t len, unsigned *flags)
{
  const unsigned char *s = (const unsigned char *)local;

  if (len == 0)
    return "empty local part";
  if (len > LC_ADDR_LOCAL_MAX)
    return "local part longer than 64 octets";
  if (s[0] == '"')
    return check_quoted(s, len, flags);
  return check_dot_atom(s, len, flags);
}

static enum lc_addr_result
finish(struct lc_address *addr, enum lc_addr_result result, const char *reason)
{
  addr->result = result;
  addr->reason = reason;
  if (result != LC_ADDR_OK) {
    addr->flags = 0;
    addr->normalized[0] = '\0';
    addr->len = addr->local_len = addr->domain_len = 0;
    addr->local = addr->domain = addr->normalized;
  }
  return result;
}

/* Narrow the field to the address text. Returns NULL or the reason. */
static const char *extract(struct view *v, char *buf)
{
  const char *reason;

  if (v->n > LC_ADDR_FIELD_MAX)
    return "field longer than 4096 bytes";
  if ((reason = take_angle_addr(v)) != NULL)
    return reason;
  return take_mailto(v, buf);
}

/* Check LOCAL@DOMAIN and write the normalized form to ADDR. */
static const char *assemble(struct lc_address *addr, struct view local,
                            struct view domain)
{
  char dom[LC_ADDR_DOMAIN_MAX + 1];
  const char *reason;
  size_t dom_len;

  if ((reason = check_local(local.p, local.n, &addr->flags)) != NULL)
    return reason;
  if (domain.n == 0)
    return "empty domain";
  reason = lc_address_domain(domain.p, domain.n, dom, &dom_len, &addr->flags);
  if (reason != NULL)
    return reason;
  if (local.n + 1 + dom_len > LC_ADDR_PATH_MAX)
    return "address longer than 254 octets";
  memcpy(addr->normalized, local.p, local.n);
  addr->normalized[local.n] = '@';
  memcpy(addr->normalized + local.n + 1, dom, dom_len + 1);
  addr->len = local.n + 1 + dom_len;
  addr->local = addr->normalized;
  addr->local_len = local.n;
  addr->domain = addr->normalized + local.n + 1;
  addr->domain_len = dom_len;
  return NULL;
}

enum lc_addr_result lc_address_parse(const char *field, size_t len,
                                     struct lc_address *addr)
{
  char buf[LC_ADDR_FIELD_MAX];
  struct view v = {field, len}, local, domain;
  const char *reason, *at;

  addr->flags = 0;
  v = trim(v);
  if (v.n == 0)
    return finish(addr, LC_ADDR_EMPTY, "empty");
  if ((reason = extract(&v, buf)) != NULL)
    return finish(addr, LC_ADDR_INVALID, reason);
  if (v.n == 0)
    return finish(addr, LC_ADDR_EMPTY, "empty");
  /* A quoted local part may contain '@', a domain never does. */
  if ((at = memrchr(v.p, '@', v.n)) == NULL)
    return finish(addr, LC_ADDR_INVALID, "missing '@'");
  local.p = v.p;
  local.n = (size_t)(at - v.p);
  domain.p = at + 1;
  domain.n = v.n - local.n - 1;
  if ((reason = assemble(addr, local, domain)) != NULL)
    return finish(addr, LC_ADDR_INVALID, reason);
  return finish(addr, LC_ADDR_OK, "ok");
}
