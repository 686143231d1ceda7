/* Fuzz target for the SMTP reply parser and classifier.
 *
 * The first input byte seeds the chunk sizes, and the rest is fed to
 * lc_reply_parse() in chunks of 1 to 64 bytes, the way replies arrive from
 * a socket. Every complete reply is classified and its code formatted.
 * The parser must consume at most the bytes it was given, and at least one
 * while it makes progress. A complete reply must have a code of 200 to 559
 * (three digits, the first 2-5, the second 0-5) and at most
 * LC_REPLY_LINES_MAX lines. Its text must be NUL-terminated valid UTF-8
 * without control characters, and its class one that a reply can produce.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/address.h"
#include "engine/log.h"
#include "engine/reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The smtp_message text: valid UTF-8 without C0, DEL or C1 controls. */
static void check_text(const char *text)
{
  const unsigned char *s = (const unsigned char *)text;
  size_t len = strlen(text), i = 0;

  while (i < len) {
    unsigned cp = s[i];
    size_t n = 1;

    if (s[i] >= 0x80 && (n = lc_utf8_decode(s + i, len - i, &cp)) == 0)
      abort();
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
      abort();
    i += n;
  }
}

static void check_reply(const struct lc_reply *reply)
{
  char code[32];
  enum lc_rcpt_class rcpt_class;

  if (reply->code < 200 || reply->code > 559 || reply->lines == 0 ||
      reply->lines > LC_REPLY_LINES_MAX)
    abort();
  if (memchr(reply->text, '\0', sizeof(reply->text)) == NULL ||
      memchr(reply->enhanced, '\0', sizeof(reply->enhanced)) == NULL)
    abort();
  check_text(reply->text);
  rcpt_class = lc_reply_classify(reply);
  if (rcpt_class == LC_RCPT_NOT_PROBED || rcpt_class == LC_RCPT_TIMEOUT ||
      rcpt_class == LC_RCPT_DROPPED ||
      rcpt_class == LC_RCPT_CONNECTION_FAILED ||
      rcpt_class == LC_RCPT_TLS_FAILED || rcpt_class > LC_RCPT_PROTOCOL_ERROR)
    abort();
  /* A 4xx reply never decides whether the mailbox exists. */
  if (reply->code / 100 == 4 && (rcpt_class == LC_RCPT_MAILBOX_NOT_FOUND ||
                                 rcpt_class == LC_RCPT_MAILBOX_DISABLED))
    abort();
  if (reply->code / 100 == 2 && rcpt_class != LC_RCPT_ACCEPTED)
    abort();
  lc_reply_format_code(reply, code, sizeof(code));
  if (strlen(code) < 3)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct lc_reply_parser parser;
  struct lc_reply reply;
  unsigned seed;
  size_t pos = 1;

  if (size == 0)
    return 0;
  lc_log_set_level(LC_LOG_ERROR);
  seed = data[0];
  lc_reply_parser_init(&parser);
  while (pos < size) {
    size_t chunk = 1 + (seed % 64), consumed = 0;
    bool complete = false;
    enum lc_status status;

    seed = seed * 1103515245u + 12345u;
    if (chunk > size - pos)
      chunk = size - pos;
    status = lc_reply_parse(&parser, (const char *)data + pos, chunk, &consumed,
                            &reply, &complete);
    if (consumed > chunk)
      abort();
    if (status != LC_OK) {
      if (status != LC_ERR_FORMAT || consumed != chunk || complete)
        abort();
      lc_reply_parser_init(&parser);
    } else if (complete) {
      check_reply(&reply);
    } else if (consumed != chunk) {
      abort(); /* an incomplete reply takes every byte */
    }
    pos += consumed;
    if (consumed == 0 && chunk > 0 && !complete)
      abort();
  }
  return 0;
}
