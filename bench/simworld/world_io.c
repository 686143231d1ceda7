/* The world file: writing and loading.
 *
 * One record per line, fields separated by single spaces:
 *
 *   simworld-world 1                     first line, format version
 *   H ADDR PROFILE STYLE NAME            MX host (PROFILE: base+mod+...)
 *   A NAME ADDR                          A record
 *   C NAME TARGET                        CNAME record
 *   D NAME DNS-PROFILE REALM             domain
 *   X PREF TARGET                        MX record of the last D
 *   M LOCAL STATE                        mailbox of the last D
 *
 * Lines starting with '#' and empty lines are skipped. The loader reads the
 * whole file into memory and points the world's strings into it, so loading
 * a million mailboxes takes well under a second.
 */
#include "bench/simworld/profile.h"
#include "bench/simworld/world.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WORLD_MAGIC "simworld-world 1"
#define FIELDS_MAX 6

struct loader {
  struct sim_world *world;
  const char *path;
  size_t line_no;
  char *fields[FIELDS_MAX];
  size_t field_count;
};

static enum lc_status load_line(struct loader *loader);

static void format_addr(uint32_t addr, char *buf, size_t size)
{
  snprintf(buf, size, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255,
           (addr >> 8) & 255, addr & 255);
}

static void write_hosts(const struct sim_world *world, FILE *out)
{
  char addr[16], profile[128];
  for (size_t i = 0; i < world->host_count; i++) {
    const struct sim_host *host = &world->hosts[i];
    format_addr(host->addr, addr, sizeof(addr));
    sim_host_profile_format(host->base, host->mods, profile, sizeof(profile));
    fprintf(out, "H %s %s %s %s\n", addr, profile, sim_style_name(host->style),
            host->name);
  }
}

static void write_names(const struct sim_world *world, FILE *out)
{
  char addr[16];
  for (size_t i = 0; i < world->name_count; i++) {
    const struct sim_name *rec = &world->names[i];
    if (rec->has_a) {
      format_addr(rec->a_addr, addr, sizeof(addr));
      fprintf(out, "A %s %s\n", rec->name, addr);
    } else if (rec->cname != NULL) {
      fprintf(out, "C %s %s\n", rec->name, rec->cname);
    }
  }
}

static void write_domain(const struct sim_world *world,
                         const struct sim_domain *domain, FILE *out)
{
  fprintf(out, "D %s %s %s\n", domain->name, sim_dns_profile_name(domain->dns),
          sim_realm_name(domain->realm));
  for (uint32_t i = 0; i < domain->mx_count; i++) {
    const struct sim_mx *mx = &world->mxs[domain->mx_first + i];
    fprintf(out, "X %u %s\n", mx->pref, mx->target);
  }
  for (uint32_t i = 0; i < domain->mbox_count; i++) {
    const struct sim_mailbox *mbox = &world->mailboxes[domain->mbox_first + i];
    fprintf(out, "M %s %s\n", mbox->local, sim_mbox_state_name(mbox->state));
  }
}

enum lc_status sim_world_write(const struct sim_world *world, FILE *out)
{
  fprintf(out, "%s\n", WORLD_MAGIC);
  write_hosts(world, out);
  write_names(world, out);
  for (size_t i = 0; i < world->domain_count; i++)
    write_domain(world, &world->domains[i], out);
  return ferror(out) ? LC_ERR_IO : LC_OK;
}

static enum lc_status load_error(const struct loader *loader,
                                 const char *message)
{
  fprintf(stderr, "simworld: %s:%zu: %s\n", loader->path, loader->line_no,
          message);
  return LC_ERR_FORMAT;
}

static bool parse_addr(const char *s, uint32_t *out)
{
  struct in_addr in;
  if (inet_pton(AF_INET, s, &in) != 1)
    return false;
  *out = ntohl(in.s_addr);
  return true;
}

/* Split LINE in place at spaces into loader->fields. */
static void split_fields(struct loader *loader, char *line)
{
  loader->field_count = 0;
  while (*line != '\0' && loader->field_count < FIELDS_MAX) {
    loader->fields[loader->field_count++] = line;
    char *space = strchr(line, ' ');
    if (space == NULL)
      break;
    *space = '\0';
    line = space + 1;
  }
}

static enum lc_status load_host(struct loader *loader)
{
  char **f = loader->fields;
  uint32_t addr;
  enum sim_base base;
  uint16_t mods;
  enum sim_style style;
  if (loader->field_count != 5 || !parse_addr(f[1], &addr))
    return load_error(loader, "invalid H line, expected ADDR PROFILE STYLE "
                              "NAME");
  if ((addr >> 24) != 127)
    return load_error(loader, "MX host address outside 127.0.0.0/8");
  if (!sim_host_profile_parse(f[2], strlen(f[2]), &base, &mods))
    return load_error(loader, "unknown host profile");
  if (!sim_style_parse(f[3], strlen(f[3]), &style))
    return load_error(loader, "unknown host style");
  if (sim_world_add_host(loader->world, addr, base, mods, style, f[4]) < 0)
    return load_error(loader, "duplicate host address");
  return LC_OK;
}

static enum lc_status load_name(struct loader *loader)
{
  char **f = loader->fields;
  uint32_t addr;
  if (loader->field_count != 3)
    return load_error(loader, "invalid A or C line, expected NAME VALUE");
  if (f[0][0] == 'C') {
    if (sim_world_add_cname(loader->world, f[1], f[2]) < 0)
      return load_error(loader, "CNAME on a name that has other records");
    return LC_OK;
  }
  if (!parse_addr(f[2], &addr))
    return load_error(loader, "invalid IPv4 address");
  if (addr != 0 && (addr >> 24) != 127)
    return load_error(loader, "A record outside 127.0.0.0/8 and 0.0.0.0");
  if (sim_world_add_a(loader->world, f[1], addr) < 0)
    return load_error(loader, "duplicate A record or A beside a CNAME");
  return LC_OK;
}

static enum lc_status load_domain(struct loader *loader)
{
  char **f = loader->fields;
  enum sim_dns_profile dns;
  enum sim_realm realm;
  if (loader->field_count != 4)
    return load_error(loader, "invalid D line, expected NAME DNS REALM");
  if (!sim_dns_profile_parse(f[2], strlen(f[2]), &dns))
    return load_error(loader, "unknown DNS profile");
  if (!sim_realm_parse(f[3], strlen(f[3]), &realm))
    return load_error(loader, "unknown identity realm");
  if (sim_world_add_domain(loader->world, f[1], dns, realm) < 0)
    return load_error(loader, "duplicate domain");
  return LC_OK;
}

static enum lc_status load_mx(struct loader *loader)
{
  char **f = loader->fields;
  char *end;
  errno = 0;
  unsigned long pref = strtoul(f[1], &end, 10);
  if (loader->field_count != 3 || *end != '\0' || pref > 65535 || errno)
    return load_error(loader, "invalid X line, expected PREF TARGET");
  if (sim_world_add_mx(loader->world, (uint16_t)pref, f[2]) < 0)
    return load_error(loader, "MX record before any domain");
  return LC_OK;
}

static enum lc_status load_mailbox(struct loader *loader)
{
  char **f = loader->fields;
  enum sim_mbox_state state;
  if (loader->field_count != 3 ||
      !sim_mbox_state_parse(f[2], strlen(f[2]), &state))
    return load_error(loader, "invalid M line, expected LOCAL STATE");
  if (sim_world_add_mailbox(loader->world, f[1], state) < 0)
    return load_error(loader, "duplicate mailbox or mailbox before any "
                              "domain");
  return LC_OK;
}

/* Names and local parts end up in DNS answers, SMTP replies and JSON, so
 * only printable ASCII without quotes and backslashes is accepted. */
static bool fields_printable(const struct loader *loader)
{
  for (size_t i = 0; i < loader->field_count; i++) {
    for (const char *c = loader->fields[i]; *c != '\0'; c++) {
      if (*c <= ' ' || *c > '~' || *c == '"' || *c == '\\')
        return false;
    }
  }
  return true;
}

static enum lc_status load_line(struct loader *loader)
{
  const char *kind = loader->fields[0];
  if (!fields_printable(loader))
    return load_error(loader, "invalid character (only printable ASCII "
                              "without quotes and backslashes)");
  if (kind[1] != '\0')
    return load_error(loader, "unknown record type");
  switch (kind[0]) {
  case 'H':
    return load_host(loader);
  case 'A':
  case 'C':
    return load_name(loader);
  case 'D':
    return load_domain(loader);
  case 'X':
    return load_mx(loader);
  case 'M':
    return load_mailbox(loader);
  default:
    return load_error(loader, "unknown record type");
  }
}

static enum lc_status read_file(const char *path, char **text)
{
  FILE *in = fopen(path, "rb");
  if (in == NULL) {
    fprintf(stderr, "simworld: cannot open %s: %s\n", path, strerror(errno));
    return LC_ERR_IO;
  }
  enum lc_status status = LC_ERR_IO;
  char *buf = NULL;
  if (fseek(in, 0, SEEK_END) != 0)
    goto done;
  long size = ftell(in);
  if (size < 0 || fseek(in, 0, SEEK_SET) != 0)
    goto done;
  buf = malloc((size_t)size + 1);
  status = LC_ERR_NOMEM;
  if (buf == NULL)
    goto done;
  status = LC_ERR_IO;
  if (fread(buf, 1, (size_t)size, in) != (size_t)size)
    goto done;
  buf[size] = '\0';
  *text = buf;
  buf = NULL;
  status = LC_OK;
done:
  if (status == LC_ERR_IO)
    fprintf(stderr, "simworld: cannot read %s\n", path);
  free(buf);
  fclose(in);
  return status;
}

static enum lc_status load_text(struct loader *loader, char *text)
{
  char *line = text;
  while (*line != '\0') {
    char *newline = strchr(line, '\n');
    if (newline != NULL)
      *newline = '\0';
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\r')
      line[len - 1] = '\0';
    loader->line_no++;
    if (loader->line_no == 1 && strcmp(line, WORLD_MAGIC) != 0)
      return load_error(loader, "not a simworld world file (format 1)");
    if (loader->line_no > 1 && line[0] != '\0' && line[0] != '#') {
      split_fields(loader, line);
      enum lc_status status = load_line(loader);
      if (status != LC_OK)
        return status;
    }
    if (newline == NULL)
      break;
    line = newline + 1;
  }
  if (loader->line_no == 0)
    return load_error(loader, "empty file");
  return LC_OK;
}

enum lc_status sim_world_load(const char *path, struct sim_world **out)
{
  struct loader loader = {.path = path};
  char *text = NULL;
  enum lc_status status = read_file(path, &text);
  if (status != LC_OK)
    return status;
  loader.world = sim_world_new();
  if (loader.world == NULL) {
    free(text);
    return LC_ERR_NOMEM;
  }
  loader.world->file_text = text;
  status = load_text(&loader, text);
  if (status != LC_OK) {
    sim_world_free(loader.world);
    return status;
  }
  *out = loader.world;
  return LC_OK;
}
