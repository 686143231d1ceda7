/* SMTP reply parsing and classification.
 *
 * The parser is incremental: the session feeds it whatever bytes arrived,
 * and it reports a complete reply once the last line (code followed by a
 * space) is in. It accepts CRLF and bare LF, checks that every line of a
 * multi-line reply carries the same code, and bounds line length and line
 * count so that a hostile server cannot grow memory.
 *
 * The classifier maps a complete reply to one enum lc_rcpt_class using the
 * rule table in engine/reply_rules.c (code, enhanced code, text patterns).
 */
#ifndef LC_REPLY_H
#define LC_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/status.h"
#include "engine/verdict.h"

/* RFC 5321 4.5.3.1.5 gives 512 octets for a reply line including CRLF. Some
 * servers send longer ones, so accept up to twice that. */
#define LC_REPLY_LINE_MAX 1024
/* Lines in one reply; EHLO answers have a dozen, more is hostile. */
#define LC_REPLY_LINES_MAX 64
/* Text kept for the first line (smtp_message column). */
#define LC_REPLY_TEXT_MAX 256

struct lc_reply {
  int code;                     /* 200..599 */
  char enhanced[16];            /* "5.1.1" from the first line, or "" */
  char text[LC_REPLY_TEXT_MAX]; /* first line after the code (and
                                   enhanced code), NUL-terminated */
  unsigned lines;               /* number of lines */
  /* EHLO keywords that start a line after the first of a 250 reply
   * (RFC 5321 4.1.1.1), matched without regard to case. */
  bool ext_starttls, ext_pipelining, ext_smtputf8, ext_8bitmime, ext_size;
};

struct lc_reply_parser {
  char line[LC_REPLY_LINE_MAX + 1];
  size_t line_len;
  struct lc_reply reply; /* reply being assembled */
  bool in_reply;
};

void lc_reply_parser_init(struct lc_reply_parser *parser);

/* Feed LEN bytes from BUF. Consumes bytes up to and including the end of
 * the first complete reply, or all of them when no reply completes.
 * Returns LC_OK and sets *complete (and fills *out) when a reply is
 * complete; LC_OK with *complete false when more bytes are needed;
 * LC_ERR_FORMAT for a reply that breaks the protocol (bad code, code
 * mismatch between lines, line or line-count limit exceeded, NUL byte).
 * *consumed is always set. After a complete reply the parser is ready for
 * the next one; after an error it must be re-initialised. */
enum lc_status lc_reply_parse(struct lc_reply_parser *parser, const char *buf,
                              size_t len, size_t *consumed,
                              struct lc_reply *out, bool *complete);

/* Class of a reply to RCPT TO (or of a banner / MAIL FROM reply that
 * rejected the whole session, which applies to every recipient in it).
 * Never returns LC_RCPT_NOT_PROBED, LC_RCPT_TIMEOUT, LC_RCPT_DROPPED,
 * LC_RCPT_CONNECTION_FAILED or LC_RCPT_TLS_FAILED: those come from the
 * session, not from a reply. */
enum lc_rcpt_class lc_reply_classify(const struct lc_reply *reply);

/* Write "550 5.1.1" (or "550" without an enhanced code) to BUF. */
void lc_reply_format_code(const struct lc_reply *reply, char *buf, size_t size);

#endif
