/* Writing rows: the header, each finished row in input order, its counts
 * for the summary and the report, and its info line in the log. */
#include "engine/pipeline_impl.h"

#include <stdio.h>
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

/* One grep-able line per written row, e.g.
 * row=12 line=13 address=ann@example.com status=undeliverable
 * reason=mailbox_not_found mx=mx.example.com provider="" code="550 5.1.1"
 */
static void write_log_row(const struct lc_item *item)
{
  const struct lc_result *r = &item->result;
  const char *address = r->normalized;
  size_t address_len = strlen(r->normalized);
  char line[4096];
  size_t len;

  if (address_len == 0) {
    address = item->address;
    address_len = item->address_len < WRITE_LOG_ADDRESS_MAX
                      ? item->address_len
                      : WRITE_LOG_ADDRESS_MAX;
  }
  len = (size_t)snprintf(line, sizeof(line), "row=%llu line=%llu",
                         (unsigned long long)item->seq + 1,
                         (unsigned long long)item->row.line);
  write_log_field(line, &len, sizeof(line), "address", address, address_len);
  const char *status = lc_status_name(r->verdict.status);
  const char *reason = lc_reason_name(r->verdict.reason);
  const char *provider = r->provider != NULL ? r->provider : "";
  write_log_field(line, &len, sizeof(line), "status", status, strlen(status));
  write_log_field(line, &len, sizeof(line), "reason", reason, strlen(reason));
  write_log_field(line, &len, sizeof(line), "mx", r->mx, strlen(r->mx));
  write_log_field(line, &len, sizeof(line), "provider", provider,
                  strlen(provider));
  write_log_field(line, &len, sizeof(line), "code", r->smtp_code,
                  strlen(r->smtp_code));
  lc_info("%s", line);
}

void lc_pipeline_write_item(struct lc_pipeline *p, struct lc_item *item)
{
  const struct lc_row *row = &item->row;
  const struct lc_result *r = &item->result;
  uint32_t n = row->nfields;
  size_t len;

  /* Short rows are padded to the header's width so the annotation
   * columns line up; fields beyond the width follow the annotations. */
  for (uint32_t i = 0; i < p->width; i++) {
    const char *field = i < n ? lc_row_field(row, i, &len) : "";
    lc_csv_writer_field(p->writer, field, i < n ? len : 0);
  }
  lc_result_write(r, p->writer);
  for (uint32_t i = p->width; i < n; i++) {
    const char *field = lc_row_field(row, i, &len);
    lc_csv_writer_field(p->writer, field, len);
  }
  if (lc_csv_writer_end_row(p->writer) != LC_OK) {
    lc_pipeline_fail(p, LC_EXIT_IO, "cannot write the output");
    return;
  }
  p->stats->rows_written++;
  p->stats->by_reason[r->verdict.reason]++;
  if (p->report != NULL)
    lc_report_add_row(p->report, r->provider, r->mx);
  if (lc_log_enabled(LC_LOG_INFO))
    write_log_row(item);
}
