/* Field formats of the generated CRM export. */
#include "bench/simworld/gen_format.h"
#include "bench/simworld/gen.h"

#include <ctype.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const note_templates[] = {
    "Met at trade show, follow up in Q%u",
    "Asked for \"enterprise\" pricing, budget %u k",
    "Prefers phone; call after %u pm",
    "Former customer, churned in 20%02u",
    "Referred by partner, \"warm\" lead #%u",
    "Newsletter signup\nUnsubscribed from promo list in 20%02u"};

void sim_csv_write_field(FILE *out, const char *s)
{
  size_t len = strlen(s);
  bool quote = strpbrk(s, ",\"\r\n") != NULL ||
               (len > 0 && (s[0] == ' ' || s[len - 1] == ' '));
  if (!quote) {
    fputs(s, out);
    return;
  }
  fputc('"', out);
  for (const char *c = s; *c; c++) {
    if (*c == '"')
      fputc('"', out);
    fputc(*c, out);
  }
  fputc('"', out);
}

static void upper_copy(const char *s, char *buf, size_t size)
{
  size_t i = 0;
  for (; s[i] && i + 1 < size; i++)
    buf[i] = (char)toupper((unsigned char)s[i]);
  buf[i] = '\0';
}

void sim_format_email(struct sim_rng *rng, struct sim_person person,
                      const char *local, const char *domain, bool always_messy,
                      char *buf, size_t size)
{
  char upper[256];
  unsigned draw = (unsigned)sim_rng_below(rng, 100);
  if (always_messy)
    draw = 80 + draw / 5;
  const char *first = sim_person_first(person);
  const char *last = sim_person_last(person);
  if (draw < 80) {
    snprintf(buf, size, "%s@%s", local, domain);
  } else if (draw < 85) {
    snprintf(buf, size, "  %s@%s ", local, domain);
  } else if (draw < 89) {
    upper_copy(domain, upper, sizeof(upper));
    snprintf(buf, size, "%s@%s", local, upper);
  } else if (draw < 92) {
    snprintf(buf, size, "mailto:%s@%s", local, domain);
  } else if (draw < 96) {
    snprintf(buf, size, "%s %s <%s@%s>", first, last, local, domain);
  } else if (draw < 99) {
    snprintf(buf, size, "\"%s, %s\" <%s@%s>", last, first, local, domain);
  } else {
    upper_copy(domain, upper, sizeof(upper));
    snprintf(buf, size, " <%s@%s>", local, upper);
  }
}

void sim_format_invalid(struct sim_rng *rng, struct sim_person person,
                        const char *local, const char *domain, char *buf,
                        size_t size)
{
  const char *first = sim_person_first(person);
  char lower_first[64];
  size_t i = 0;
  for (; first[i] && i + 1 < sizeof(lower_first); i++)
    lower_first[i] = (char)tolower((unsigned char)first[i]);
  lower_first[i] = '\0';
  const char *dot = strrchr(domain, '.');
  int label = dot ? (int)(dot - domain) : (int)strlen(domain);
  switch (sim_rng_below(rng, 11)) {
  case 0:
    snprintf(buf, size, "%s(at)%s", local, domain);
    break;
  case 1:
    snprintf(buf, size, "%s@@%s", local, domain);
    break;
  case 2:
    snprintf(buf, size, "%s@%s@%s", lower_first, local, domain);
    break;
  case 3:
    snprintf(buf, size, "%s %s@%s", lower_first, local, domain);
    break;
  case 4:
    snprintf(buf, size, "%s@%s.", local, domain);
    break;
  case 5:
    snprintf(buf, size, "%s.@%s", local, domain);
    break;
  case 6:
    snprintf(buf, size, ".%s@%s", local, domain);
    break;
  case 7:
    snprintf(buf, size, "%s..x@%s", local, domain);
    break;
  case 8:
    snprintf(buf, size, "%s@", local);
    break;
  case 9:
    snprintf(buf, size, "%s@%.*s..%s", local, label, domain,
             dot ? dot + 1 : "com");
    break;
  default:
    snprintf(buf, size, "%s,%s@%s", lower_first, local, domain);
  }
}

void sim_format_person(struct sim_rng *rng, struct sim_person person, bool role,
                       FILE *out)
{
  char upper[128];
  if (role && sim_rng_chance(rng, 500)) {
    fputs(",,", out);
    return;
  }
  unsigned draw = (unsigned)sim_rng_below(rng, 100);
  const char *first = sim_person_first(person);
  const char *last = sim_person_last(person);
  if (draw < 4) {
    fprintf(out, " %s ,", first);
  } else {
    sim_csv_write_field(out, first);
    fputc(',', out);
  }
  if (draw >= 4 && draw < 9) {
    upper_copy(last, upper, sizeof(upper));
    last = upper;
  }
  sim_csv_write_field(out, last);
  fputc(',', out);
}

void sim_format_phone(struct sim_rng *rng, char *buf, size_t size)
{
  unsigned a = (unsigned)sim_rng_below(rng, 1000);
  unsigned b = (unsigned)sim_rng_below(rng, 10000);
  switch (sim_rng_below(rng, 6)) {
  case 0:
    snprintf(buf, size, "+1 555-%03u-%04u", a, b);
    break;
  case 1:
    snprintf(buf, size, "(555) %03u-%04u", a, b);
    break;
  case 2:
    snprintf(buf, size, "+44 20 7946 %04u", b);
    break;
  case 3:
    snprintf(buf, size, "+49 30 %03u %04u", a, b);
    break;
  default:
    buf[0] = '\0';
  }
}

void sim_format_date(struct sim_rng *rng, char *buf, size_t size)
{
  unsigned year = 2015 + (unsigned)sim_rng_below(rng, 11);
  unsigned month = 1 + (unsigned)sim_rng_below(rng, 12);
  unsigned day = 1 + (unsigned)sim_rng_below(rng, 28);
  unsigned seconds = (unsigned)sim_rng_below(rng, 86400);
  if (sim_rng_chance(rng, 100))
    snprintf(buf, size, "%02u/%02u/%u", month, day, year);
  else
    snprintf(buf, size, "%u-%02u-%02u %02u:%02u:%02u", year, month, day,
             seconds / 3600, seconds / 60 % 60, seconds % 60);
}

void sim_format_note(struct sim_rng *rng, char *buf, size_t size)
{
  unsigned draw = (unsigned)sim_rng_below(rng, 1000);
  unsigned number = (unsigned)sim_rng_below(rng, 24) + 1;
  if (draw < 750) {
    buf[0] = '\0';
    return;
  }
  /* The multi-line note is rare on purpose: one in 200 rows. */
  size_t pick = draw < 755 ? COUNT(note_templates) - 1
                           : draw % (COUNT(note_templates) - 1);
  snprintf(buf, size, note_templates[pick], number);
}
