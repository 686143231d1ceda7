/* Name tables of the world's enums and the shared recipient rule. */
#include "bench/simworld/profile.h"

#include <stdio.h>
#include <string.h>

static const char *const dns_names[SIM_DNS_COUNT] = {
    "mx",      "mx_equal",    "dead_primary", "mx_cname", "implicit",
    "null_mx", "mx_nxtarget", "nxdomain",     "servfail", "refused",
    "silent",  "big",         "unreachable"};

static const char *const base_names[SIM_BASE_COUNT] = {
    "normal", "catchall",  "gw_reject", "gw_validate", "ms_dbeb", "ms_accept",
    "policy", "banner554", "noptr",     "refused",     "silent"};

static const char *const mod_names[SIM_MOD_COUNT] = {
    "greylist", "connlimit", "rcptlimit", "tarpit",  "disconnect",
    "starttls", "multiline", "lfonly",    "full452", "external"};

static const char *const style_names[SIM_STYLE_COUNT] = {
    "generic",  "google",     "microsoft", "yahoo",
    "mimecast", "proofpoint", "barracuda"};

static const char *const provider_names[SIM_STYLE_COUNT] = {
    "", "google", "microsoft", "yahoo", "mimecast", "proofpoint", "barracuda"};

static const char *const realm_names[SIM_REALM_COUNT] = {
    "none", "managed", "managed_all", "federated_okta", "federated_adfs"};

static const char *const mbox_names[] = {"none", "ok", "full", "disabled"};

const struct sim_smtp_profile sim_smtp_profiles[] = {
    {"normal", SIM_BASE_NORMAL, 0},
    {"catchall", SIM_BASE_CATCHALL, 0},
    {"gw_reject", SIM_BASE_GW_REJECT, 0},
    {"gw_validate", SIM_BASE_GW_VALIDATE, 0},
    {"ms_dbeb", SIM_BASE_MS_DBEB, 0},
    {"ms_accept", SIM_BASE_MS_ACCEPT, 0},
    {"policy", SIM_BASE_POLICY, 0},
    {"banner554", SIM_BASE_BANNER554, 0},
    {"noptr", SIM_BASE_NOPTR, 0},
    {"greylist", SIM_BASE_NORMAL, SIM_MOD_GREYLIST},
    {"connlimit", SIM_BASE_NORMAL, SIM_MOD_CONNLIMIT},
    {"rcptlimit", SIM_BASE_NORMAL, SIM_MOD_RCPTLIMIT},
    {"tarpit", SIM_BASE_NORMAL, SIM_MOD_TARPIT},
    {"disconnect", SIM_BASE_NORMAL, SIM_MOD_DISCONNECT},
    {"starttls", SIM_BASE_NORMAL, SIM_MOD_STARTTLS},
    {"multiline", SIM_BASE_NORMAL, SIM_MOD_MULTILINE},
    {"lfonly", SIM_BASE_NORMAL, SIM_MOD_LFONLY},
    {"refused", SIM_BASE_REFUSED, 0},
    {"silent", SIM_BASE_SILENT, 0},
};
const size_t sim_smtp_profile_count =
    sizeof(sim_smtp_profiles) / sizeof(sim_smtp_profiles[0]);

static const char *table_name(const char *const *table, size_t count,
                              unsigned value)
{
  return value < count ? table[value] : "?";
}

/* Return the index of the LEN bytes of S in TABLE, or -1. */
static int table_find(const char *const *table, size_t count, const char *s,
                      size_t len)
{
  for (size_t i = 0; i < count; i++) {
    if (strlen(table[i]) == len && memcmp(table[i], s, len) == 0)
      return (int)i;
  }
  return -1;
}

const char *sim_dns_profile_name(enum sim_dns_profile profile)
{
  return table_name(dns_names, SIM_DNS_COUNT, profile);
}

bool sim_dns_profile_parse(const char *s, size_t len, enum sim_dns_profile *out)
{
  int found = table_find(dns_names, SIM_DNS_COUNT, s, len);
  if (found < 0)
    return false;
  *out = (enum sim_dns_profile)found;
  return true;
}

const char *sim_base_name(enum sim_base base)
{
  return table_name(base_names, SIM_BASE_COUNT, base);
}

const char *sim_style_name(enum sim_style style)
{
  return table_name(style_names, SIM_STYLE_COUNT, style);
}

bool sim_style_parse(const char *s, size_t len, enum sim_style *out)
{
  int found = table_find(style_names, SIM_STYLE_COUNT, s, len);
  if (found < 0)
    return false;
  *out = (enum sim_style)found;
  return true;
}

const char *sim_realm_name(enum sim_realm realm)
{
  return table_name(realm_names, SIM_REALM_COUNT, realm);
}

bool sim_realm_parse(const char *s, size_t len, enum sim_realm *out)
{
  int found = table_find(realm_names, SIM_REALM_COUNT, s, len);
  if (found < 0)
    return false;
  *out = (enum sim_realm)found;
  return true;
}

const char *sim_mbox_state_name(enum sim_mbox_state state)
{
  return table_name(mbox_names, 4, state);
}

bool sim_mbox_state_parse(const char *s, size_t len, enum sim_mbox_state *out)
{
  int found = table_find(mbox_names, 4, s, len);
  if (found <= 0)
    return false;
  *out = (enum sim_mbox_state)found;
  return true;
}

void sim_host_profile_format(enum sim_base base, uint16_t mods, char *buf,
                             size_t size)
{
  size_t used = (size_t)snprintf(buf, size, "%s", sim_base_name(base));
  for (unsigned bit = 0; bit < SIM_MOD_COUNT && used < size; bit++) {
    if (mods & (1u << bit))
      used += (size_t)snprintf(buf + used, size - used, "+%s", mod_names[bit]);
  }
}

bool sim_host_profile_parse(const char *s, size_t len, enum sim_base *base,
                            uint16_t *mods)
{
  const char *end = s + len;
  const char *plus = memchr(s, '+', len);
  size_t word = (size_t)((plus ? plus : end) - s);
  int found = table_find(base_names, SIM_BASE_COUNT, s, word);
  if (found < 0)
    return false;
  uint16_t bits = 0;
  while (plus != NULL) {
    const char *start = plus + 1;
    plus = memchr(start, '+', (size_t)(end - start));
    word = (size_t)((plus ? plus : end) - start);
    int mod = table_find(mod_names, SIM_MOD_COUNT, start, word);
    if (mod < 0)
      return false;
    bits |= (uint16_t)(1u << mod);
  }
  *base = (enum sim_base)found;
  *mods = bits;
  return true;
}

const char *sim_style_provider(enum sim_style style)
{
  return table_name(provider_names, SIM_STYLE_COUNT, style);
}

bool sim_style_is_gateway(enum sim_style style)
{
  return style == SIM_STYLE_MIMECAST || style == SIM_STYLE_PROOFPOINT ||
         style == SIM_STYLE_BARRACUDA;
}

enum sim_rcpt_outcome sim_rcpt_outcome(enum sim_base base,
                                       enum sim_mbox_state state)
{
  switch (base) {
  case SIM_BASE_NORMAL:
    if (state == SIM_MBOX_FULL)
      return SIM_RCPT_FULL;
    if (state == SIM_MBOX_DISABLED)
      return SIM_RCPT_DISABLED;
    return state == SIM_MBOX_OK ? SIM_RCPT_ACCEPT : SIM_RCPT_UNKNOWN_USER;
  case SIM_BASE_CATCHALL:
  case SIM_BASE_MS_ACCEPT:
    return SIM_RCPT_ACCEPT;
  case SIM_BASE_GW_REJECT:
    return SIM_RCPT_UNKNOWN_USER;
  case SIM_BASE_GW_VALIDATE:
  case SIM_BASE_MS_DBEB:
    /* Gateways and the Microsoft edge check a directory and know nothing
     * of quotas or disabled accounts, so every listed mailbox passes. */
    return state == SIM_MBOX_NONE ? SIM_RCPT_UNKNOWN_USER : SIM_RCPT_ACCEPT;
  default:
    return SIM_RCPT_POLICY;
  }
}
