/* Incremental SMTP reply parser (RFC 5321 4.2) and reply code formatting.
 *
 * Bytes are collected into one line buffer until LF. Each finished line is
 * checked for a three-digit code, a separator, and the same code as the
 * previous lines. Only the first line is stored, as its enhanced status
 * code (RFC 3463) and its text. The text is sanitised so that the
 * smtp_message column is valid UTF-8 without control characters. Later
 * lines only set the EHLO keyword flags. The parser never allocates, so a
 * hostile server costs at most one line buffer per session.
 */
#include "engine/reply.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static enum lc_status reply_append(struct lc_reply_parser *parser,
                                   const char *bytes, size_t len);
static enum lc_status reply_end_line(struct lc_reply_parser *parser,
                                     bool *final);
static void reply_parse_first_line(struct lc_reply *reply, const char *text,
                                   size_t len);
static size_t reply_parse_enhanced(const char *text, size_t len, int code);
static void reply_copy_text(char *dst, size_t size, const char *src,
                            size_t len);
static size_t utf8_sequence_length(const unsigned char *s, size_t len);
static void reply_scan_keyword(struct lc_reply *reply, const char *text,
                               size_t len);

void lc_reply_parser_init(struct lc_reply_parser *parser)
{
  memset(parser, 0, sizeof(*parser));
}

enum lc_status lc_reply_parse(struct lc_reply_parser *parser, const char *buf,
                              size_t len, size_t *consumed,
                              struct lc_reply *out, bool *complete)
{
  enum lc_status status = LC_OK;
  bool final = false;
  size_t pos = 0;

  *complete = false;
  while (pos < len && !final) {
    const char *lf = memchr(buf + pos, '\n', len - pos);
    size_t take = lf != NULL ? (size_t)(lf - (buf + pos)) : len - pos;

    status = reply_append(parser, buf + pos, take);
    if (status != LC_OK)
      goto done;
    pos += take;
    if (lf == NULL)
      break;
    pos++; /* the LF */
    status = reply_end_line(parser, &final);
    if (status != LC_OK)
      goto done;
  }
  if (final) {
    *out = parser->reply;
    *complete = true;
    memset(&parser->reply, 0, sizeof(parser->reply));
    parser->in_reply = false;
  }

done:
  /* After an error the rest of the input is useless, so report it read. */
  *consumed = status == LC_OK ? pos : len;
  return status;
}

/* Adds LEN bytes without LF to the current line. Rejects NUL, a CR that is
 * not directly followed by LF (RFC 5321 2.3.8), and a line that would exceed
 * LC_REPLY_LINE_MAX octets including its line ending. */
static enum lc_status reply_append(struct lc_reply_parser *parser,
                                   const char *bytes, size_t len)
{
  const char *cr;

  if (len == 0)
    return LC_OK;
  if (parser->line_len > 0 && parser->line[parser->line_len - 1] == '\r')
    return LC_ERR_FORMAT;
  if (memchr(bytes, '\0', len) != NULL)
    return LC_ERR_FORMAT;
  cr = memchr(bytes, '\r', len);
  if (cr != NULL && cr != bytes + len - 1)
    return LC_ERR_FORMAT;
  /* The LF still to come takes one more octet. */
  if (len > LC_REPLY_LINE_MAX - 1 - parser->line_len)
    return LC_ERR_FORMAT;
  memcpy(parser->line + parser->line_len, bytes, len);
  parser->line_len += len;
  return LC_OK;
}

/* Checks the finished line and folds it into the reply. Sets *final when
 * it was the last line ("250 ..." or a bare "250"). */
static enum lc_status reply_end_line(struct lc_reply_parser *parser,
                                     bool *final)
{
  const char *line = parser->line;
  size_t len = parser->line_len;
  struct lc_reply *reply = &parser->reply;
  int code;

  parser->line_len = 0;
  if (len > 0 && line[len - 1] == '\r')
    len--;
  /* Reply-code = %x32-35 %x30-35 %x30-39 (RFC 5321 4.2). */
  if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
      line[1] > '5' || line[2] < '0' || line[2] > '9')
    return LC_ERR_FORMAT;
  if (len > 3 && line[3] != ' ' && line[3] != '-')
    return LC_ERR_FORMAT;
  code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (parser->in_reply && code != reply->code)
    return LC_ERR_FORMAT;
  if (reply->lines >= LC_REPLY_LINES_MAX)
    return LC_ERR_FORMAT;

  reply->lines++;
  if (!parser->in_reply) {
    reply->code = code;
    parser->in_reply = true;
    reply_parse_first_line(reply, line + 3, len - 3);
  } else if (code == 250 && len > 4) {
    reply_scan_keyword(reply, line + 4, len - 4);
  }
  *final = len == 3 || line[3] == ' ';
  return LC_OK;
}

static bool is_blank(char c)
{
  return c == ' ' || c == '\t';
}

/* Fills enhanced and text from what follows the code on the first line
 * (the separator included). */
static void reply_parse_first_line(struct lc_reply *reply, const char *text,
                                   size_t len)
{
  size_t enhanced_len;

  if (len > 0) {
    text++; /* separator */
    len--;
  }
  while (len > 0 && is_blank(*text)) {
    text++;
    len--;
  }
  while (len > 0 && is_blank(text[len - 1]))
    len--;

  enhanced_len = reply_parse_enhanced(text, len, reply->code);
  if (enhanced_len > 0) {
    memcpy(reply->enhanced, text, enhanced_len);
    reply->enhanced[enhanced_len] = '\0';
    text += enhanced_len;
    len -= enhanced_len;
    while (len > 0 && is_blank(*text)) {
      text++;
      len--;
    }
  }
  reply_copy_text(reply->text, sizeof(reply->text), text, len);
}

/* Reads 1 to 3 digits. Returns how many, 0 when there are none or more. */
static size_t read_digits(const char *text, size_t len)
{
  size_t n = 0;

  while (n < len && n < 4 && text[n] >= '0' && text[n] <= '9')
    n++;
  return n <= 3 ? n : 0;
}

/* Returns the length of an enhanced status code at the start of TEXT
 * (class "." 1*3digit "." 1*3digit, then a blank or the end), or 0 when
 * there is none or its class differs from the first digit of CODE. */
static size_t reply_parse_enhanced(const char *text, size_t len, int code)
{
  size_t pos = 2, digits;

  if (len < 5 || text[0] != '0' + code / 100 || text[1] != '.')
    return 0;
  digits = read_digits(text + pos, len - pos);
  if (digits == 0)
    return 0;
  pos += digits;
  if (pos >= len || text[pos] != '.')
    return 0;
  pos++;
  digits = read_digits(text + pos, len - pos);
  if (digits == 0)
    return 0;
  pos += digits;
  if (pos < len && !is_blank(text[pos]))
    return 0;
  return pos;
}

/* Copies LEN bytes of reply text to DST (SIZE bytes, always terminated).
 * Control characters (C0, DEL and C1) and bytes that are not valid UTF-8
 * become '?'. Stops before a character that would not fit whole. */
static void reply_copy_text(char *dst, size_t size, const char *src, size_t len)
{
  const unsigned char *s = (const unsigned char *)src;
  size_t in = 0, out = 0;

  while (in < len) {
    unsigned char b = s[in];
    size_t n = b < 0x80 ? 1 : utf8_sequence_length(s + in, len - in);
    bool c1 = n == 2 && b == 0xc2 && s[in + 1] < 0xa0;
    bool replace = n == 0 || b < 0x20 || b == 0x7f || c1;

    if (out + (replace ? 1 : n) > size - 1)
      break;
    if (replace) {
      dst[out++] = '?';
    } else {
      memcpy(dst + out, s + in, n);
      out += n;
    }
    in += n == 0 ? 1 : n;
  }
  dst[out] = '\0';
}

/* Returns the length of the valid UTF-8 sequence (RFC 3629 section 4) that
 * starts at S with a byte >= 0x80, or 0 when the bytes are not one. */
static size_t utf8_sequence_length(const unsigned char *s, size_t len)
{
  unsigned char lo = 0x80, hi = 0xbf;
  size_t n;

  if (s[0] >= 0xc2 && s[0] <= 0xdf)
    n = 2;
  else if (s[0] >= 0xe0 && s[0] <= 0xef)
    n = 3;
  else if (s[0] >= 0xf0 && s[0] <= 0xf4)
    n = 4;
  else
    return 0;
  if (s[0] == 0xe0)
    lo = 0xa0; /* overlong */
  else if (s[0] == 0xed)
    hi = 0x9f; /* surrogates */
  else if (s[0] == 0xf0)
    lo = 0x90; /* overlong */
  else if (s[0] == 0xf4)
    hi = 0x8f; /* above U+10FFFF */
  if (len < n || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++) {
    if (s[i] < 0x80 || s[i] > 0xbf)
      return 0;
  }
  return n;
}

static bool keyword_is(const char *word, size_t len, const char *keyword)
{
  return strlen(keyword) == len && strncasecmp(word, keyword, len) == 0;
}

/* Sets the flag of the EHLO keyword that starts an ehlo-line (RFC 5321
 * 4.1.1.1), compared without regard to case. */
static void reply_scan_keyword(struct lc_reply *reply, const char *text,
                               size_t len)
{
  size_t word = 0;

  while (word < len && text[word] != ' ')
    word++;
  if (keyword_is(text, word, "STARTTLS"))
    reply->ext_starttls = true;
  else if (keyword_is(text, word, "PIPELINING"))
    reply->ext_pipelining = true;
  else if (keyword_is(text, word, "SMTPUTF8"))
    reply->ext_smtputf8 = true;
  else if (keyword_is(text, word, "8BITMIME"))
    reply->ext_8bitmime = true;
  else if (keyword_is(text, word, "SIZE"))
    reply->ext_size = true;
}

void lc_reply_format_code(const struct lc_reply *reply, char *buf, size_t size)
{
  if (size == 0)
    return;
  if (reply->enhanced[0] != '\0')
    snprintf(buf, size, "%d %s", reply->code, reply->enhanced);
  else
    snprintf(buf, size, "%d", reply->code);
}
