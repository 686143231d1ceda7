/* Input rows: a CRM export with the mess real exports have.
 *
 * Each row draws a kind (existing mailbox, unknown person, role account,
 * disposable, typo domain, invalid syntax, empty, duplicate of an earlier
 * row) and then a format for the email field: surrounding spaces, an
 * upper-case domain, a mailto: prefix, "Name <addr>". The other columns
 * carry names with non-ASCII letters, companies with commas and notes with
 * quotes and line breaks, so the CSV needs quoting.
 */
#include "bench/simworld/gen.h"
#include "bench/simworld/gen_format.h"
#include "bench/simworld/profile.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_MAX 512
#define DOMAIN_ATTEMPTS 8

/* Draw weights (per mille) of the row kinds; the last entry is "duplicate
 * of an earlier row". */
static const uint32_t kind_weights[SIM_ROW_KIND_COUNT + 1] = {
    [SIM_ROW_EXISTING] = 560,  [SIM_ROW_UNKNOWN] = 160,  [SIM_ROW_ROLE] = 35,
    [SIM_ROW_DISPOSABLE] = 30, [SIM_ROW_TYPO] = 30,      [SIM_ROW_INVALID] = 45,
    [SIM_ROW_EMPTY] = 20,      [SIM_ROW_KIND_COUNT] = 60};

struct rowgen {
  const struct sim_gen_options *opt;
  const struct sim_gen_world *gen;
  struct sim_world *world;
  struct sim_rng *rng;
  FILE *out;
  struct sim_rows *rows;
  struct sim_route *routes; /* per domain */
  bool *has_accepted;       /* per domain: some row so far gets 250 */
  int32_t disposable[8];
  size_t disposable_count;
  struct sim_person *persons; /* per row, for duplicates */
  size_t *earlier;            /* rows with an address on a domain */
  size_t earlier_count;
};

/* One row being built: the truth fields and the CSV fields. */
struct draft {
  struct sim_row row;
  struct sim_person person;
  char local[FIELD_MAX];
  const char *domain_name;
  char email[FIELD_MAX];
};

static bool is_role(const char *local)
{
  for (size_t i = 0; i < sim_role_local_count; i++) {
    if (strcmp(local, sim_role_locals[i]) == 0)
      return true;
  }
  return false;
}

static int32_t random_company_domain(struct rowgen *rg)
{
  size_t first = rg->gen->first_random_domain;
  return (int32_t)(first +
                   sim_rng_below(rg->rng, rg->world->domain_count - first));
}

static void set_mailbox(struct rowgen *rg, struct draft *d, size_t mbox)
{
  const struct sim_mailbox *m = &rg->world->mailboxes[mbox];
  snprintf(d->local, sizeof(d->local), "%s", m->local);
  d->person = rg->gen->persons[mbox];
  d->row.kind = SIM_ROW_EXISTING;
  d->row.domain = (int32_t)m->domain;
  d->row.state = m->state;
  d->row.role = is_role(m->local);
}

/* True when an unknown address on DOMAIN would draw the Microsoft 5.4.1
 * rejection before any row of the domain was accepted. listclean may class
 * 5.4.1 as "no stated cause", which needs that evidence to become
 * mailbox_not_found, so the generator always provides it.
 * NOTE: a world without mailboxes cannot provide it; its 5.4.1 rows then
 * depend on how listclean reads 5.4.1. */
static bool needs_evidence(struct rowgen *rg, int32_t domain)
{
  const struct sim_route *route = &rg->routes[domain];
  return rg->world->mailbox_count > 0 && route->dns == SIM_ROUTE_OK &&
         route->host != NULL && route->host->base == SIM_BASE_MS_DBEB &&
         !rg->has_accepted[domain];
}

static bool evidence_swap(struct rowgen *rg, struct draft *d)
{
  const struct sim_domain *dom = &rg->world->domains[d->row.domain];
  if (dom->mbox_count == 0)
    return false;
  set_mailbox(rg, d, dom->mbox_first + sim_rng_below(rg->rng, dom->mbox_count));
  return true;
}

static void draw_existing(struct rowgen *rg, struct draft *d)
{
  set_mailbox(rg, d, sim_rng_below(rg->rng, rg->world->mailbox_count));
}

static void draw_unknown(struct rowgen *rg, struct draft *d)
{
  for (int attempt = 0; attempt < DOMAIN_ATTEMPTS; attempt++) {
    if (sim_rng_chance(rg->rng, 800) && rg->world->mailbox_count > 0)
      d->row.domain =
          (int32_t)rg->world
              ->mailboxes[sim_rng_below(rg->rng, rg->world->mailbox_count)]
              .domain;
    else
      d->row.domain = random_company_domain(rg);
    if (!needs_evidence(rg, d->row.domain) || evidence_swap(rg, d))
      break;
  }
  if (needs_evidence(rg, d->row.domain) && d->row.kind != SIM_ROW_EXISTING)
    draw_existing(rg, d);
  if (d->row.kind == SIM_ROW_EXISTING)
    return;
  d->person = sim_person_random(rg->rng);
  sim_person_local(rg->rng, d->person, d->local, sizeof(d->local));
  size_t len = strlen(d->local);
  while (sim_world_find_mailbox(rg->world, d->row.domain, d->local,
                                strlen(d->local)) != SIM_MBOX_NONE)
    snprintf(d->local + len, sizeof(d->local) - len, "%u",
             (unsigned)sim_rng_below(rg->rng, 900) + 100);
  d->row.state = SIM_MBOX_NONE;
}

static void draw_role(struct rowgen *rg, struct draft *d)
{
  const char *role =
      sim_role_locals[sim_rng_below(rg->rng, sim_role_local_count)];
  d->row.domain = random_company_domain(rg);
  d->row.state =
      sim_world_find_mailbox(rg->world, d->row.domain, role, strlen(role));
  if (d->row.state == SIM_MBOX_NONE && needs_evidence(rg, d->row.domain)) {
    if (!evidence_swap(rg, d))
      draw_existing(rg, d);
    return;
  }
  snprintf(d->local, sizeof(d->local), "%s", role);
  d->row.role = true;
  d->person = sim_person_random(rg->rng);
}

static void draw_disposable(struct rowgen *rg, struct draft *d)
{
  d->person = sim_person_random(rg->rng);
  sim_person_local(rg->rng, d->person, d->local, sizeof(d->local));
  d->row.domain = rg->disposable[sim_rng_below(rg->rng, rg->disposable_count)];
  d->row.state = SIM_MBOX_NONE;
  d->row.disposable = true;
}

static void draw_typo(struct rowgen *rg, struct draft *d)
{
  d->person = sim_person_random(rg->rng);
  sim_person_local(rg->rng, d->person, d->local, sizeof(d->local));
  d->domain_name =
      sim_typo_domains[sim_rng_below(rg->rng, sim_typo_domain_count)];
  d->row.domain = -1;
}

static void draw_invalid(struct rowgen *rg, struct draft *d)
{
  d->person = sim_person_random(rg->rng);
  sim_person_local(rg->rng, d->person, d->local, sizeof(d->local));
  const char *domain = rg->world->domains[random_company_domain(rg)].name;
  sim_format_invalid(rg->rng, d->person, d->local, domain, d->email,
                     sizeof(d->email));
  d->row.domain = -1;
}

static void draw_duplicate(struct rowgen *rg, struct draft *d)
{
  size_t index = rg->earlier[sim_rng_below(rg->rng, rg->earlier_count)];
  const struct sim_row *original = &rg->rows->rows[index];
  d->row = *original;
  d->person = rg->persons[index];
  const char *at = strrchr(original->address, '@');
  snprintf(d->local, sizeof(d->local), "%.*s", (int)(at - original->address),
           original->address);
  d->domain_name = at + 1;
  /* A CRM merge often capitalises the local part; mail servers compare
   * it without case, so the verdict stays the same. */
  if (sim_rng_chance(rg->rng, 300))
    d->local[0] = (char)toupper((unsigned char)d->local[0]);
}

static void draw(struct rowgen *rg, struct draft *d)
{
  size_t kind = sim_rng_weighted(rg->rng, kind_weights, SIM_ROW_KIND_COUNT + 1);
  if (kind == SIM_ROW_KIND_COUNT && rg->earlier_count == 0)
    kind = SIM_ROW_EXISTING;
  if (kind == SIM_ROW_EXISTING && rg->world->mailbox_count == 0)
    kind = SIM_ROW_UNKNOWN;
  d->row.kind = (uint8_t)(kind < SIM_ROW_KIND_COUNT ? kind : 0);
  switch (kind) {
  case SIM_ROW_EXISTING:
    return draw_existing(rg, d);
  case SIM_ROW_UNKNOWN:
    return draw_unknown(rg, d);
  case SIM_ROW_ROLE:
    return draw_role(rg, d);
  case SIM_ROW_DISPOSABLE:
    return draw_disposable(rg, d);
  case SIM_ROW_TYPO:
    return draw_typo(rg, d);
  case SIM_ROW_INVALID:
    return draw_invalid(rg, d);
  case SIM_ROW_EMPTY:
    d->person = sim_person_random(rg->rng);
    return;
  default:
    return draw_duplicate(rg, d);
  }
}

static void write_row(struct rowgen *rg, size_t index, struct draft *d)
{
  char field[FIELD_MAX], domain_name[FIELD_MAX];
  FILE *out = rg->out;
  fprintf(out, "%zu,", 100001 + index);
  sim_format_person(rg->rng, d->person, d->row.role, out);
  if (d->row.domain >= 0 &&
      (size_t)d->row.domain >= rg->gen->first_random_domain)
    snprintf(domain_name, sizeof(domain_name), "%s", d->domain_name);
  else
    sim_company_domain(rg->rng, domain_name, sizeof(domain_name));
  sim_company_name(rg->rng, domain_name, field, sizeof(field));
  sim_csv_write_field(out, field);
  fputc(',', out);
  sim_csv_write_field(out, d->email);
  fputc(',', out);
  sim_format_phone(rg->rng, field, sizeof(field));
  sim_csv_write_field(out, field);
  fputc(',', out);
  sim_format_date(rg->rng, field, sizeof(field));
  sim_csv_write_field(out, field);
  fputc(',', out);
  sim_format_note(rg->rng, field, sizeof(field));
  sim_csv_write_field(out, field);
  fputs("\r\n", out);
}

/* Fill the email field and the normalised address of a drawn row. */
static enum lc_status finish_address(struct rowgen *rg, struct draft *d,
                                     bool duplicate)
{
  char address[FIELD_MAX * 2];
  if (d->row.kind == SIM_ROW_EMPTY) {
    d->email[0] = '\0';
    address[0] = '\0';
  } else if (d->row.kind == SIM_ROW_INVALID) {
    snprintf(address, sizeof(address), "%s", d->email);
  } else {
    if (d->domain_name == NULL)
      d->domain_name = rg->world->domains[d->row.domain].name;
    snprintf(address, sizeof(address), "%s@%s", d->local, d->domain_name);
    sim_format_email(rg->rng, d->person, d->local, d->domain_name, duplicate,
                     d->email, sizeof(d->email));
  }
  d->row.address = sim_world_strdup(rg->world, address, strlen(address));
  return d->row.address ? LC_OK : LC_ERR_NOMEM;
}

static enum lc_status add_row(struct rowgen *rg, size_t index)
{
  struct draft d = {.row.domain = -1};
  draw(rg, &d);
  bool duplicate = d.row.address != NULL;
  enum lc_status status = finish_address(rg, &d, duplicate);
  if (status != LC_OK)
    return status;
  rg->rows->rows[index] = d.row;
  rg->persons[index] = d.person;
  bool has_domain =
      d.row.kind != SIM_ROW_INVALID && d.row.kind != SIM_ROW_EMPTY;
  if (has_domain && !duplicate)
    rg->earlier[rg->earlier_count++] = index;
  if (has_domain && d.row.domain >= 0 &&
      sim_truth_route_accepts(&rg->routes[d.row.domain],
                              (enum sim_mbox_state)d.row.state))
    rg->has_accepted[d.row.domain] = true;
  write_row(rg, index, &d);
  return LC_OK;
}

static enum lc_status setup(struct rowgen *rg)
{
  size_t domains = rg->world->domain_count, rows = rg->opt->rows;
  rg->routes = calloc(domains, sizeof(*rg->routes));
  rg->has_accepted = calloc(domains, sizeof(*rg->has_accepted));
  rg->persons = calloc(rows + 1, sizeof(*rg->persons));
  rg->earlier = calloc(rows + 1, sizeof(*rg->earlier));
  rg->rows->rows = calloc(rows + 1, sizeof(*rg->rows->rows));
  if (!rg->routes || !rg->has_accepted || !rg->persons || !rg->earlier ||
      !rg->rows->rows)
    return LC_ERR_NOMEM;
  for (size_t i = 0; i < domains; i++)
    rg->routes[i] = sim_truth_route(rg->world, (int32_t)i);
  for (size_t i = 0; i < sim_disposable_domain_count; i++) {
    const char *name = sim_disposable_domains[i];
    int32_t domain = sim_world_find_domain(rg->world, name, strlen(name));
    if (domain >= 0)
      rg->disposable[rg->disposable_count++] = domain;
  }
  return rg->disposable_count > 0 ? LC_OK : LC_ERR_INVALID;
}

enum lc_status sim_gen_rows(const struct sim_gen_options *options,
                            const struct sim_gen_world *gen,
                            struct sim_rng *rng, const char *path,
                            struct sim_rows *rows)
{
  struct rowgen rg = {.opt = options,
                      .gen = gen,
                      .world = gen->world,
                      .rng = rng,
                      .rows = rows};
  enum lc_status status = setup(&rg);
  if (status != LC_OK)
    goto done;
  status = LC_ERR_IO;
  rg.out = fopen(path, "wb");
  if (rg.out == NULL)
    goto done;
  fputs("id,first_name,last_name,company,email,phone,created_at,notes\r\n",
        rg.out);
  status = LC_OK;
  for (size_t i = 0; i < options->rows && status == LC_OK; i++)
    status = add_row(&rg, i);
  rows->count = options->rows;
  if (status == LC_OK && ferror(rg.out))
    status = LC_ERR_IO;
done:
  if (rg.out != NULL && fclose(rg.out) != 0)
    status = LC_ERR_IO;
  if (status == LC_ERR_IO)
    fprintf(stderr, "simworld: cannot write %s\n", path);
  else if (status != LC_OK)
    fprintf(stderr, "simworld: cannot generate rows: %s\n",
            status == LC_ERR_NOMEM ? "out of memory"
                                   : "no disposable domain in the world");
  free(rg.routes);
  free(rg.has_accepted);
  free(rg.persons);
  free(rg.earlier);
  return status;
}
