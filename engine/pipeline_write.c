/* Writing rows: the header, each finished row in input order, its counts
 * for the summary and the report, and its info line in the log. */
#include "engine/pipeline_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/log.h"

/* Bytes of a raw address shown in the log. */
#define WRITE_LOG_ADDRESS_MAX 200

void lc_pipeline_write_header(struct lc_pipeline *p,
                              const struct lc_row *header)
{
  size_t len;

  for (uint32_t i = 0; i < header->nfields; i++) {
    const char *field = lc_row_field(header, i, &len);
    lc_csv_writer_field(p->writer, field, len);
  }
  for (int i = 0; i < LC_RESULT_COLUMNS; i++)
    lc_csv_writer_cell(p->writer, lc_result_column_names[i]);
  if (lc_csv_writer_end_row(p->writer) != LC_OK)
    lc_pipeline_fail(p, LC_EXIT_IO, "cannot write the header row");
}

static void write_log_char(char *buf, size_t *len, size_t size, char c)
{
  if (*len + 1 < size) {
    buf[(*len)++] = c;
    buf[*len] = '\0';
  }
}

static void write_log_text(char *buf, size_t *len, size_t size,
                           const char *text)
{
  while (*text != '\0')
    write_log_char(buf, len, size, *text++);
}

/* Append " KEY=VALUE" to BUF (length *LEN, size SIZE). VALUE is quoted
 * when it is empty or contains a blank, a quote, '=' or a backslash, so
 * that every line splits into fields the same way. Inside quotes '"' and
 * '\' get a backslash, and control bytes become \xNN. */
static void write_log_field(char *buf, size_t *len, size_t size,
                            const char *key, const char *value, size_t n)
{
  bool quote = n == 0;
  char hex[8];

  for (size_t i = 0; i < n && !quote; i++)
    quote = (unsigned char)value[i] <= 0x20 || value[i] == 0x7f ||
            value[i] == '"' || value[i] == '=' || value[i] == '\\';
  write_log_char(buf, len, size, ' ');
  write_log_text(buf, len, size, key);
  write_log_char(buf, len, size, '=');
  if (quote)
    write_log_char(buf, len, size, '"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)value[i];
    if (c < 0x20 || c == 0x7f) {
      snprintf(hex, sizeof(hex), "\\x%02x", c);
      write_log_text(buf, len, size, hex);
      continue;
    }
    if (c == '"' || c == '\\')
      write_log_char(buf, len, size, '\\');
    write_log_char(buf, len, size, (char)c);
  }
  if (quote)
    write_log_char(buf, len, size, '"');
}

/* One grep-able line per written row in LINE (SIZE bytes), e.g.
 * row=12 line=13 address=ann@example.com status=undeliverable
 * reason=mailbox_not_found mx=mx.example.com provider="" code="550 5.1.1"
 * Returns its length. */
static size_t write_log_format(const struct lc_item *item, char *line,
                               size_t size)
{
  const struct lc_result *r = &item->result;
  const char *address = r->normalized;
  size_t address_len = strlen(r->normalized);
  size_t len;

  if (address_len == 0) {
    address = item->address;
    address_len = item->address_len < WRITE_LOG_ADDRESS_MAX
                      ? item->address_len
                      : WRITE_LOG_ADDRESS_MAX;
  }
  len = (size_t)snprintf(line, size, "row=%llu line=%llu",
                         (unsigned long long)item->seq + 1,
                         (unsigned long long)item->row.line);
  write_log_field(line, &len, size, "address", address, address_len);
  const char *status = lc_status_name(r->verdict.status);
  const char *reason = lc_reason_name(r->verdict.reason);
  const char *provider = r->provider != NULL ? r->provider : "";
  write_log_field(line, &len, size, "status", status, strlen(status));
  write_log_field(line, &len, size, "reason", reason, strlen(reason));
  write_log_field(line, &len, size, "mx", lc_result_mx(r),
                  strlen(lc_result_mx(r)));
  write_log_field(line, &len, size, "provider", provider, strlen(provider));
  write_log_field(line, &len, size, "code", r->smtp_code, strlen(r->smtp_code));
  return len;
}

/* Append the fields of ITEM to the writer's current row. Short rows are
 * padded to the header's width so the annotation columns line up; fields
 * beyond the width follow the annotations. */
static void write_fields(struct lc_pipeline *p, const struct lc_item *item)
{
  const struct lc_row *row = &item->row;
  uint32_t n = row->nfields;
  size_t len;

  for (uint32_t i = 0; i < p->width; i++) {
    const char *field = i < n ? lc_row_field(row, i, &len) : "";
    lc_csv_writer_field(p->writer, field, i < n ? len : 0);
  }
  lc_result_write(&item->result, p->writer);
  for (uint32_t i = p->width; i < n; i++) {
    const char *field = lc_row_field(row, i, &len);
    lc_csv_writer_field(p->writer, field, len);
  }
}

/* Count a written row for the summary and the report. */
static void write_count(struct lc_pipeline *p, enum lc_reason reason,
                        const char *provider, const char *mx)
{
  p->stats->rows_written++;
  p->stats->by_reason[reason]++;
  if (p->report != NULL)
    lc_report_add_row(p->report, provider, mx);
}

void lc_pipeline_write_item(struct lc_pipeline *p, struct lc_item *item)
{
  const struct lc_result *r = &item->result;
  char line[4096];

  write_fields(p, item);
  if (lc_csv_writer_end_row(p->writer) != LC_OK) {
    lc_pipeline_fail(p, LC_EXIT_IO, "cannot write the output");
    return;
  }
  write_count(p, r->verdict.reason, r->provider, lc_result_mx(r));
  if (lc_log_enabled(LC_LOG_INFO)) {
    write_log_format(item, line, sizeof(line));
    lc_info("%s", line);
  }
}

/* A spilled row: this head, then the CSV bytes, the log line, the provider
 * and the MX host, none NUL-terminated. */
struct spill_head {
  uint64_t csv_len; /* a record may be up to 4 GiB, and quotes add more */
  uint32_t log_len;
  uint16_t provider_len;
  uint16_t mx_len;
  uint16_t reason;
};

static bool spill_reserve(struct lc_pipeline *p, size_t size)
{
  char *buf;

  if (size <= p->spill_buf_cap)
    return true;
  if ((buf = realloc(p->spill_buf, size)) == NULL)
    return false;
  p->spill_buf = buf;
  p->spill_buf_cap = size;
  return true;
}

enum lc_status lc_pipeline_spill_item(struct lc_pipeline *p,
                                      struct lc_item *item, uint64_t *offset)
{
  const struct lc_result *r = &item->result;
  const char *provider = r->provider != NULL ? r->provider : "";
  struct spill_head h = {0};
  char line[4096];
  const char *csv;
  size_t csv_len, off = sizeof(h);
  enum lc_status status;

  write_fields(p, item);
  if ((status = lc_csv_writer_take_row(p->writer, &csv, &csv_len)) != LC_OK)
    return status;
  h.csv_len = csv_len;
  if (lc_log_enabled(LC_LOG_INFO))
    h.log_len = (uint32_t)write_log_format(item, line, sizeof(line));
  h.provider_len = (uint16_t)strlen(provider);
  h.mx_len = (uint16_t)strlen(lc_result_mx(r));
  h.reason = (uint16_t)r->verdict.reason;
  if (!spill_reserve(p, off + csv_len + h.log_len + h.provider_len + h.mx_len))
    return LC_ERR_NOMEM;
  memcpy(p->spill_buf + off, csv, csv_len);
  memcpy(p->spill_buf + (off += csv_len), line, h.log_len);
  memcpy(p->spill_buf + (off += h.log_len), provider, h.provider_len);
  memcpy(p->spill_buf + (off += h.provider_len), lc_result_mx(r), h.mx_len);
  memcpy(p->spill_buf, &h, sizeof(h));
  return lc_spill_append(p->spill, p->spill_buf, off + h.mx_len,
                         p->opt->max_spill_bytes, offset);
}

/* Copy LEN bytes at SRC into BUF (SIZE bytes) as a string. */
static void spill_string(char *buf, size_t size, const char *src, size_t len)
{
  snprintf(buf, size, "%.*s", (int)len, src);
}

bool lc_pipeline_unspill_row(struct lc_pipeline *p, uint64_t *pos, bool write)
{
  const void *rec;
  const char *b;
  size_t len;
  struct spill_head h;
  char provider[256], mx[LC_RESULT_TEXT_MAX];

  if (lc_spill_read(p->spill, pos, &rec, &len) != LC_OK || len < sizeof(h)) {
    const char *why = lc_spill_error(p->spill);

    lc_pipeline_fail(p, LC_EXIT_IO,
                     why[0] != '\0' ? why
                                    : "internal error: a row moved to the "
                                      "spill file is missing");
    return false;
  }
  if (!write)
    return true;
  memcpy(&h, rec, sizeof(h));
  b = (const char *)rec + sizeof(h);
  if (lc_csv_writer_put_row(p->writer, b, h.csv_len) != LC_OK) {
    lc_pipeline_fail(p, LC_EXIT_IO, "cannot write the output");
    return false;
  }
  spill_string(provider, sizeof(provider), b + h.csv_len + h.log_len,
               h.provider_len);
  spill_string(mx, sizeof(mx), b + h.csv_len + h.log_len + h.provider_len,
               h.mx_len);
  write_count(p, (enum lc_reason)h.reason, provider, mx);
  if (h.log_len > 0)
    lc_info("%.*s", (int)h.log_len, b + h.csv_len);
  return true;
}
