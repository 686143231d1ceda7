/* The "options" object of the run report: every setting of the run, named
 * like the command-line option that sets it. Durations are in seconds and
 * sizes in bytes. A network setting that was not given is null: its module
 * applies the default that --help states. */
#include "engine/report.h"

static void options_string(struct lc_json *json, const char *key,
                           const char *value)
{
  lc_json_key(json, key);
  lc_json_string(json, value);
}

static void options_uint(struct lc_json *json, const char *key, uint64_t value)
{
  lc_json_key(json, key);
  lc_json_uint(json, value);
}

/* A network setting: 0 means "not given", written as null. */
static void options_setting(struct lc_json *json, const char *key, double value)
{
  lc_json_key(json, key);
  if (value == 0)
    lc_json_null(json);
  else
    lc_json_double(json, value);
}

static void options_count(struct lc_json *json, const char *key, uint64_t value)
{
  lc_json_key(json, key);
  if (value == 0)
    lc_json_null(json);
  else
    lc_json_uint(json, value);
}

static void options_bool(struct lc_json *json, const char *key, bool value)
{
  lc_json_key(json, key);
  lc_json_bool(json, value);
}

static void options_seconds(struct lc_json *json, const char *key, unsigned ms)
{
  options_setting(json, key, ms / 1000.0);
}

static void options_checks(struct lc_json *json, unsigned checks)
{
  static const struct {
    unsigned flag;
    const char *name;
  } names[] = {{LC_CHECK_SYNTAX, "syntax"},
               {LC_CHECK_DNS, "dns"},
               {LC_CHECK_SMTP, "smtp"},
               {LC_CHECK_IDENTITY, "identity"}};

  lc_json_key(json, "checks");
  lc_json_begin_array(json);
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (checks & names[i].flag)
      lc_json_string(json, names[i].name);
  lc_json_end_array(json);
}

static void options_csv(struct lc_json *json, const struct lc_job_options *o)
{
  char delimiter[2] = {o->delimiter, '\0'};

  options_string(json, "column", o->column);
  options_bool(json, "no_header", o->no_header);
  options_string(json, "delimiter", o->delimiter ? delimiter : NULL);
  lc_json_key(json, "zstd");
  if (o->compress < 0)
    lc_json_string(json, "by output name");
  else
    lc_json_bool(json, o->compress == 1);
  options_uint(json, "zstd_level", (uint64_t)o->zstd_level);
  options_uint(json, "zstd_workers", (uint64_t)o->zstd_workers);
  options_uint(json, "zstd_frame_bytes", o->frame_bytes);
  options_uint(json, "max_rows_in_flight", o->max_rows_in_flight);
  options_uint(json, "max_spill_mib", o->max_spill_bytes >> 20);
  options_string(json, "spill_dir", o->spill_dir);
  options_uint(json, "dedup_memory_bytes", o->dedup_memory);
  options_uint(json, "max_record_bytes", o->max_record_bytes);
  options_bool(json, "role_ok", o->role_ok);
  options_string(json, "data_dir", o->data_dir);
}

static void options_dns(struct lc_json *json, const struct lc_job_options *o)
{
  lc_json_key(json, "dns_servers");
  lc_json_begin_array(json);
  for (size_t i = 0; i < o->ndns_servers; i++)
    lc_json_string(json, o->dns_servers[i]);
  lc_json_end_array(json);
  options_seconds(json, "dns_timeout_s", o->dns_timeout_ms);
  options_count(json, "dns_tries", o->dns_tries);
  options_count(json, "dns_concurrency", o->dns_concurrency);
  options_bool(json, "allow_private_mx", o->allow_private_mx);
  options_count(json, "max_domains", o->max_domains);
}

static void options_smtp(struct lc_json *json, const struct lc_job_options *o)
{
  options_count(json, "smtp_port", o->smtp_port);
  options_string(json, "helo", o->helo_name);
  options_string(json, "from", o->mail_from);
  options_seconds(json, "connect_timeout_s", o->connect_timeout_ms);
  options_seconds(json, "command_timeout_s", o->command_timeout_ms);
  options_count(json, "rcpt_per_session", o->rcpt_per_session);
  options_count(json, "max_connections", o->max_connections);
  options_count(json, "per_mx_connections", o->per_mx_connections);
  options_setting(json, "connect_rate", o->connects_per_sec);
  options_setting(json, "rcpt_rate", o->rcpts_per_min);
  options_seconds(json, "greylist_retry_s", o->greylist_retry_ms);
  options_seconds(json, "greylist_max_wait_s", o->greylist_max_wait_ms);
  options_seconds(json, "backoff_s", o->backoff_ms);
  options_bool(json, "no_starttls", o->no_starttls);
  options_count(json, "seed", o->seed);
}

void lc_report_write_options(struct lc_json *json,
                             const struct lc_job_options *o)
{
  options_checks(json, o->checks);
  options_csv(json, o);
  options_dns(json, o);
  options_smtp(json, o);
  options_string(json, "identity_url", o->identity_url);
  options_string(json, "ca_file", o->ca_file);
  options_setting(json, "identity_rate", o->identity_rate);
  options_seconds(json, "identity_retry_s", o->identity_retry_ms);
  options_string(json, "report", o->report_path);
  lc_json_key(json, "stop_deadline_s");
  lc_json_double(json, o->stop_deadline_ms / 1000.0);
  options_bool(json, "finish_on_stop", o->finish_on_stop);
  options_bool(json, "resume", o->resume);
}
