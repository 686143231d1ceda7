/* Extra entries for a generated world (`simworld gen --extra FILE`).
 *
 * The file adds hosts, domains and mailboxes to the generated ones, so that
 * a world can hold the domains of a given CSV export next to the random
 * companies. One entry per line, fields separated by spaces or tabs, lines
 * starting with '#' are comments:
 *
 *   host ADDR PROFILE STYLE NAME       an MX host outside the pools, with
 *                                      the fields of the world file's H
 *                                      line; NAME gets an A record
 *   domain NAME TARGET [DNS [REALM]]   a new domain. TARGET is an SMTP
 *                                      profile of --profile-mix (a host
 *                                      of that pool, MX names as its
 *                                      operator gives them), @HOSTNAME
 *                                      (one MX record, preference 10, to
 *                                      that name) or - for the DNS
 *                                      profiles without a mail host.
 *                                      DNS defaults to mx, REALM to none.
 *   mailbox LOCAL@DOMAIN [STATE]       a mailbox on a fixed domain
 *                                      (gmail.com, ...) or a domain line;
 *                                      STATE ok (default), full, disabled
 *
 * Names and local parts are folded to lower case and must be printable
 * ASCII, as in the world file, so an IDN domain is written as A-labels.
 * Extra entries draw from the seeded stream only after every generated
 * domain. So the generated part of the world stays the one the seed gives
 * without --extra, unless a generated name or local part would take one of
 * the file.
 */
#include "bench/simworld/gen_private.h"
#include "bench/simworld/profile.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define EXTRA_FIELDS_MAX 6
#define TARGET_NONE SIZE_MAX
#define TARGET_NAME (SIZE_MAX - 1)

struct extra_host {
  uint32_t addr;
  const char *addr_text;
  enum sim_base base;
  uint16_t mods;
  enum sim_style style;
  const char *name;
  size_t line;
};

struct extra_domain {
  const char *name;
  size_t profile;          /* index in sim_smtp_profiles, or TARGET_* */
  const char *target_name; /* for TARGET_NAME */
  enum sim_dns_profile dns;
  enum sim_realm realm;
  size_t line;
};

struct extra_mailbox {
  const char *local, *domain;
  enum sim_mbox_state state;
  bool added;
  size_t line;
};

struct sim_extra {
  const char *path;
  char *text;
  struct extra_host *hosts;
  struct extra_domain *domains;
  struct extra_mailbox *mailboxes;
  size_t host_count, domain_count, mailbox_count;
};

/* One line being parsed. */
struct extra_line {
  struct sim_extra *extra;
  size_t number;
  char *fields[EXTRA_FIELDS_MAX + 1];
  size_t field_count;
};

static enum lc_status line_error(const struct extra_line *line,
                                 const char *message)
{
  fprintf(stderr, "simworld: %s:%zu: %s\n", line->extra->path, line->number,
          message);
  return LC_ERR_FORMAT;
}

static enum lc_status apply_error(const struct sim_extra *extra, size_t line,
                                  const char *message, const char *value)
{
  fprintf(stderr, "simworld: %s:%zu: %s: %s\n", extra->path, line, message,
          value);
  return LC_ERR_FORMAT;
}

static void fold_lower(char *s)
{
  for (; *s != '\0'; s++)
    *s = (char)tolower((unsigned char)*s);
}

/* Same character rule as the world file, whose loader reads these names
 * back. */
static bool printable(const char *s)
{
  for (; *s != '\0'; s++) {
    if (*s <= ' ' || *s > '~' || *s == '"' || *s == '\\')
      return false;
  }
  return true;
}

static void split_line(struct extra_line *line, char *text)
{
  line->field_count = 0;
  char *save = NULL;
  for (char *field = strtok_r(text, " \t", &save);
       field != NULL && line->field_count <= EXTRA_FIELDS_MAX;
       field = strtok_r(NULL, " \t", &save))
    line->fields[line->field_count++] = field;
}

static enum lc_status parse_host(struct extra_line *line)
{
  char **f = line->fields;
  struct extra_host host = {.line = line->number};
  struct in_addr in;
  if (line->field_count != 5)
    return line_error(line, "invalid host line, expected host ADDR PROFILE "
                            "STYLE NAME");
  host.name = f[4];
  if (inet_pton(AF_INET, f[1], &in) != 1 || (ntohl(in.s_addr) >> 24) != 127)
    return line_error(line, "host address is not an IPv4 address in "
                            "127.0.0.0/8");
  host.addr = ntohl(in.s_addr);
  host.addr_text = f[1];
  if (!sim_host_profile_parse(f[2], strlen(f[2]), &host.base, &host.mods))
    return line_error(line, "unknown host profile (expected base+modifier, "
                            "e.g. normal+external)");
  if (!sim_style_parse(f[3], strlen(f[3]), &host.style))
    return line_error(line, "unknown host style");
  fold_lower(f[4]);
  line->extra->hosts[line->extra->host_count++] = host;
  return LC_OK;
}

static bool parse_target(const char *s, struct extra_domain *domain)
{
  if (strcmp(s, "-") == 0) {
    domain->profile = TARGET_NONE;
    return true;
  }
  if (s[0] == '@' && s[1] != '\0') {
    domain->profile = TARGET_NAME;
    domain->target_name = s + 1;
    return true;
  }
  for (size_t p = 0; p < sim_smtp_profile_count; p++) {
    if (strcmp(sim_smtp_profiles[p].name, s) == 0) {
      domain->profile = p;
      return true;
    }
  }
  return false;
}

static enum lc_status parse_domain(struct extra_line *line)
{
  char **f = line->fields;
  size_t n = line->field_count;
  struct extra_domain domain = {
      .dns = SIM_DNS_MX, .realm = SIM_REALM_NONE, .line = line->number};
  if (n < 3 || n > 5)
    return line_error(line, "invalid domain line, expected domain NAME "
                            "TARGET [DNS-PROFILE [REALM]]");
  domain.name = f[1];
  fold_lower(f[1]);
  fold_lower(f[2]);
  if (!parse_target(f[2], &domain))
    return line_error(line, "unknown target (expected an SMTP profile such "
                            "as normal, @HOSTNAME or -)");
  if (n >= 4 && !sim_dns_profile_parse(f[3], strlen(f[3]), &domain.dns))
    return line_error(line, "unknown DNS profile");
  if (n == 5 && !sim_realm_parse(f[4], strlen(f[4]), &domain.realm))
    return line_error(line, "unknown identity realm");
  bool needs_host = sim_gen_dns_needs_host(domain.dns);
  if (needs_host && domain.profile == TARGET_NONE)
    return line_error(line, "this DNS profile needs a mail host; name an "
                            "SMTP profile or @HOSTNAME");
  if (!needs_host && domain.profile != TARGET_NONE)
    return line_error(line, "this DNS profile has no mail host; use - as "
                            "the target");
  if (domain.profile == TARGET_NAME && domain.dns != SIM_DNS_MX)
    return line_error(line, "@HOSTNAME works with the DNS profile mx only");
  line->extra->domains[line->extra->domain_count++] = domain;
  return LC_OK;
}

static enum lc_status parse_mailbox(struct extra_line *line)
{
  char **f = line->fields;
  size_t n = line->field_count;
  struct extra_mailbox mailbox = {.state = SIM_MBOX_OK, .line = line->number};
  char *at = n >= 2 ? strrchr(f[1], '@') : NULL;
  if (n < 2 || n > 3 || at == NULL || at == f[1] || at[1] == '\0')
    return line_error(line, "invalid mailbox line, expected mailbox "
                            "LOCAL@DOMAIN [ok|full|disabled]");
  if (n == 3 && !sim_mbox_state_parse(f[2], strlen(f[2]), &mailbox.state))
    return line_error(line, "unknown mailbox state (expected ok, full or "
                            "disabled)");
  *at = '\0';
  fold_lower(f[1]);
  fold_lower(at + 1);
  mailbox.local = f[1];
  mailbox.domain = at + 1;
  line->extra->mailboxes[line->extra->mailbox_count++] = mailbox;
  return LC_OK;
}

static enum lc_status parse_line(struct extra_line *line, char *text)
{
  split_line(line, text);
  if (line->field_count == 0 || line->fields[0][0] == '#')
    return LC_OK;
  if (line->field_count > EXTRA_FIELDS_MAX)
    return line_error(line, "too many fields");
  for (size_t i = 0; i < line->field_count; i++) {
    if (!printable(line->fields[i]))
      return line_error(line, "invalid character (only printable ASCII "
                              "without quotes and backslashes; write IDN "
                              "domains as A-labels)");
  }
  const char *kind = line->fields[0];
  if (strcmp(kind, "host") == 0)
    return parse_host(line);
  if (strcmp(kind, "domain") == 0)
    return parse_domain(line);
  if (strcmp(kind, "mailbox") == 0)
    return parse_mailbox(line);
  return line_error(line, "unknown entry (expected host, domain or mailbox)");
}

static enum lc_status read_text(const char *path, char **out)
{
  FILE *in = fopen(path, "rb");
  if (in == NULL) {
    fprintf(stderr, "simworld: cannot open %s: %s\n", path, strerror(errno));
    return LC_ERR_IO;
  }
  enum lc_status status = LC_ERR_NOMEM;
  size_t len = 0, cap = 4096;
  char *text = malloc(cap);
  while (text != NULL) {
    len += fread(text + len, 1, cap - len - 1, in);
    if (len + 1 < cap)
      break;
    char *bigger = realloc(text, cap * 2);
    if (bigger == NULL)
      free(text);
    text = bigger;
    cap *= 2;
  }
  if (text != NULL && ferror(in)) {
    fprintf(stderr, "simworld: cannot read %s\n", path);
    free(text);
    text = NULL;
    status = LC_ERR_IO;
  }
  fclose(in);
  if (text == NULL)
    return status;
  text[len] = '\0';
  *out = text;
  return LC_OK;
}

static enum lc_status parse_text(struct sim_extra *extra)
{
  size_t lines = 1;
  for (const char *c = extra->text; *c != '\0'; c++)
    lines += *c == '\n';
  extra->hosts = calloc(lines, sizeof(*extra->hosts));
  extra->domains = calloc(lines, sizeof(*extra->domains));
  extra->mailboxes = calloc(lines, sizeof(*extra->mailboxes));
  if (!extra->hosts || !extra->domains || !extra->mailboxes)
    return LC_ERR_NOMEM;
  struct extra_line line = {.extra = extra};
  char *next = NULL;
  /* strtok_r would skip empty lines and lose the count, so split by hand. */
  for (char *text = extra->text; text != NULL; text = next) {
    char *newline = strchr(text, '\n');
    next = newline ? newline + 1 : NULL;
    if (newline != NULL)
      *newline = '\0';
    text[strcspn(text, "\r")] = '\0';
    line.number++;
    enum lc_status status = parse_line(&line, text);
    if (status != LC_OK)
      return status;
  }
  return LC_OK;
}

enum lc_status sim_extra_load(const char *path, struct sim_extra **out)
{
  struct sim_extra *extra = calloc(1, sizeof(*extra));
  if (extra == NULL)
    return LC_ERR_NOMEM;
  extra->path = path;
  enum lc_status status = read_text(path, &extra->text);
  if (status == LC_OK)
    status = parse_text(extra);
  if (status == LC_ERR_NOMEM)
    fprintf(stderr, "simworld: out of memory reading %s\n", path);
  if (status != LC_OK) {
    sim_extra_free(extra);
    return status;
  }
  *out = extra;
  return LC_OK;
}

void sim_extra_free(struct sim_extra *extra)
{
  if (extra == NULL)
    return;
  free(extra->text);
  free(extra->hosts);
  free(extra->domains);
  free(extra->mailboxes);
  free(extra);
}

size_t sim_extra_mailbox_count(const struct sim_extra *extra)
{
  return extra ? extra->mailbox_count : 0;
}

bool sim_extra_has_domain(const struct sim_extra *extra, const char *name)
{
  for (size_t i = 0; extra != NULL && i < extra->domain_count; i++) {
    if (strcmp(extra->domains[i].name, name) == 0)
      return true;
  }
  return false;
}

enum lc_status sim_gen_extra_hosts(struct gen *gen)
{
  const struct sim_extra *extra = gen->extra;
  for (size_t i = 0; extra != NULL && i < extra->host_count; i++) {
    const struct extra_host *h = &extra->hosts[i];
    const char *name = sim_gen_dup(gen, h->name);
    if (name == NULL)
      return LC_ERR_NOMEM;
    if (sim_world_find_host(gen->world, h->addr) != NULL)
      return apply_error(extra, h->line,
                         "address already taken by another host (generated "
                         "hosts use 127.1.0.1 upward)",
                         h->addr_text);
    if (sim_world_add_a(gen->world, name, h->addr) < 0 ||
        sim_world_add_host(gen->world, h->addr, h->base, h->mods, h->style,
                           name) < 0)
      return apply_error(extra, h->line, "host name already in the world",
                         h->name);
  }
  return LC_OK;
}

/* A person for the generated rows that pick an extra mailbox, fixed by
 * its local part so that no random draw is spent on it. */
static struct sim_person extra_person(const char *local)
{
  uint64_t hash = sim_hash(local, strlen(local));
  return (struct sim_person){(unsigned)hash, (unsigned)(hash >> 32)};
}

enum lc_status sim_gen_extra_mailboxes(struct gen *gen)
{
  struct sim_extra *extra = gen->extra;
  struct sim_world *world = gen->world;
  const char *domain = world->domains[world->domain_count - 1].name;
  for (size_t i = 0; extra != NULL && i < extra->mailbox_count; i++) {
    struct extra_mailbox *m = &extra->mailboxes[i];
    if (m->added || strcmp(m->domain, domain) != 0)
      continue;
    const char *local = sim_gen_dup(gen, m->local);
    size_t index = world->mailbox_count;
    if (local == NULL)
      return LC_ERR_NOMEM;
    if (sim_world_add_mailbox(world, local, m->state) < 0)
      return apply_error(extra, m->line, "duplicate mailbox", m->local);
    gen->persons[index] = extra_person(m->local);
    m->added = true;
  }
  return LC_OK;
}

/* Check that the pool of D's SMTP profile has a host that fits its DNS
 * profile, by the rule that pick_profile() in gen_domain.c applies to
 * random domains. */
static enum lc_status check_pool(struct gen *gen, const struct extra_domain *d)
{
  const struct sim_smtp_profile *p = &sim_smtp_profiles[d->profile];
  if (gen->pool_len[d->profile] == 0)
    return apply_error(gen->extra, d->line,
                       "no host has this SMTP profile (its --profile-mix "
                       "weight is 0)",
                       p->name);
  if (d->dns != SIM_DNS_MX &&
      sim_gen_pool_style(p->base, 0) != SIM_STYLE_GENERIC)
    return apply_error(gen->extra, d->line,
                       "provider and gateway hosts work with the DNS "
                       "profile mx only",
                       p->name);
  if (d->dns == SIM_DNS_DEAD_PRIMARY && p->base == SIM_BASE_REFUSED)
    return apply_error(gen->extra, d->line, "dead_primary needs a working host",
                       p->name);
  return LC_OK;
}

static enum lc_status add_named_mx(struct gen *gen,
                                   const struct extra_domain *d)
{
  const char *target = sim_gen_dup(gen, d->target_name);
  if (target == NULL)
    return LC_ERR_NOMEM;
  if (sim_world_resolve(gen->world, target) == NULL)
    return apply_error(gen->extra, d->line,
                       "MX target has no A record in the world",
                       d->target_name);
  const char *name = sim_gen_dup(gen, d->name);
  if (name == NULL ||
      sim_world_add_domain(gen->world, name, d->dns, d->realm) < 0 ||
      sim_world_add_mx(gen->world, 10, target) < 0)
    return LC_ERR_NOMEM;
  return LC_OK;
}

static enum lc_status add_domain(struct gen *gen, const struct extra_domain *d)
{
  if (sim_world_find_name(gen->world, d->name, strlen(d->name)) != NULL)
    return apply_error(gen->extra, d->line,
                       "name already in the world (a fixed domain takes "
                       "mailbox lines only)",
                       d->name);
  if (sim_gen_is_typo_domain(d->name))
    return apply_error(gen->extra, d->line,
                       "input.csv uses this misspelled domain as one that "
                       "does not exist",
                       d->name);
  if (d->profile == TARGET_NAME)
    return add_named_mx(gen, d);
  if (d->profile != TARGET_NONE) {
    enum lc_status status = check_pool(gen, d);
    if (status != LC_OK)
      return status;
  }
  return sim_gen_domain(gen, d->name, d->dns, d->profile, d->realm);
}

enum lc_status sim_gen_extra_domains(struct gen *gen)
{
  const struct sim_extra *extra = gen->extra;
  enum lc_status status = LC_OK;
  for (size_t i = 0; extra != NULL && i < extra->domain_count; i++) {
    status = add_domain(gen, &extra->domains[i]);
    if (status == LC_OK)
      status = sim_gen_extra_mailboxes(gen);
    if (status != LC_OK)
      return status;
  }
  for (size_t i = 0; extra != NULL && i < extra->mailbox_count; i++) {
    const struct extra_mailbox *m = &extra->mailboxes[i];
    if (!m->added)
      return apply_error(extra, m->line,
                         "mailbox domain is neither a fixed domain of the "
                         "generator nor on a domain line",
                         m->domain);
  }
  return LC_OK;
}
