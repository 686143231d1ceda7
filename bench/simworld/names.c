/* Word lists for generated people, companies and hosting operators. */
#include "bench/simworld/names.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct name_form {
  const char *display; /* UTF-8 as a CRM stores it */
  const char *ascii;   /* form used in the local part */
};

static const struct name_form first_names[] = {
    {"James", "james"},       {"Mary", "mary"},
    {"John", "john"},         {"Patricia", "patricia"},
    {"Robert", "robert"},     {"Jennifer", "jennifer"},
    {"Michael", "michael"},   {"Linda", "linda"},
    {"William", "william"},   {"Elizabeth", "elizabeth"},
    {"David", "david"},       {"Barbara", "barbara"},
    {"Richard", "richard"},   {"Susan", "susan"},
    {"Joseph", "joseph"},     {"Jessica", "jessica"},
    {"Thomas", "thomas"},     {"Sarah", "sarah"},
    {"Charles", "charles"},   {"Karen", "karen"},
    {"Daniel", "daniel"},     {"Nancy", "nancy"},
    {"Matthew", "matthew"},   {"Lisa", "lisa"},
    {"Anthony", "anthony"},   {"Betty", "betty"},
    {"Mark", "mark"},         {"Sandra", "sandra"},
    {"Paul", "paul"},         {"Ashley", "ashley"},
    {"Steven", "steven"},     {"Emily", "emily"},
    {"Andrew", "andrew"},     {"Donna", "donna"},
    {"Kenneth", "kenneth"},   {"Michelle", "michelle"},
    {"Kevin", "kevin"},       {"Carol", "carol"},
    {"Brian", "brian"},       {"Amanda", "amanda"},
    {"George", "george"},     {"Melissa", "melissa"},
    {"José", "jose"},         {"Zoë", "zoe"},
    {"François", "francois"}, {"Søren", "soren"},
    {"Hana", "hana"},         {"Wei", "wei"},
    {"Priya", "priya"},       {"Ahmed", "ahmed"},
    {"Olga", "olga"},         {"Lukas", "lukas"},
    {"Chiara", "chiara"},     {"Mateo", "mateo"},
    {"Aisha", "aisha"},       {"Kenji", "kenji"},
    {"Ingrid", "ingrid"},     {"Tomás", "tomas"},
    {"Noor", "noor"},         {"Elena", "elena"}};

static const struct name_form last_names[] = {{"Smith", "smith"},
                                              {"Johnson", "johnson"},
                                              {"Williams", "williams"},
                                              {"Brown", "brown"},
                                              {"Jones", "jones"},
                                              {"Garcia", "garcia"},
                                              {"Miller", "miller"},
                                              {"Davis", "davis"},
                                              {"Rodriguez", "rodriguez"},
                                              {"Martinez", "martinez"},
                                              {"Hernandez", "hernandez"},
                                              {"Lopez", "lopez"},
                                              {"Gonzalez", "gonzalez"},
                                              {"Wilson", "wilson"},
                                              {"Anderson", "anderson"},
                                              {"Thomas", "thomas"},
                                              {"Taylor", "taylor"},
                                              {"Moore", "moore"},
                                              {"Jackson", "jackson"},
                                              {"Martin", "martin"},
                                              {"Lee", "lee"},
                                              {"Perez", "perez"},
                                              {"Thompson", "thompson"},
                                              {"White", "white"},
                                              {"Harris", "harris"},
                                              {"Sanchez", "sanchez"},
                                              {"Clark", "clark"},
                                              {"Ramirez", "ramirez"},
                                              {"Lewis", "lewis"},
                                              {"Robinson", "robinson"},
                                              {"Walker", "walker"},
                                              {"Young", "young"},
                                              {"Allen", "allen"},
                                              {"King", "king"},
                                              {"Wright", "wright"},
                                              {"Scott", "scott"},
                                              {"Torres", "torres"},
                                              {"Nguyen", "nguyen"},
                                              {"Hill", "hill"},
                                              {"Flores", "flores"},
                                              {"Green", "green"},
                                              {"Adams", "adams"},
                                              {"Nelson", "nelson"},
                                              {"Baker", "baker"},
                                              {"Hall", "hall"},
                                              {"Rivera", "rivera"},
                                              {"Campbell", "campbell"},
                                              {"Mitchell", "mitchell"},
                                              {"Carter", "carter"},
                                              {"Roberts", "roberts"},
                                              {"Müller", "mueller"},
                                              {"Schmidt", "schmidt"},
                                              {"Schneider", "schneider"},
                                              {"Fischer", "fischer"},
                                              {"Weber", "weber"},
                                              {"Dubois", "dubois"},
                                              {"Lefèvre", "lefevre"},
                                              {"Rossi", "rossi"},
                                              {"Russo", "russo"},
                                              {"Novak", "novak"},
                                              {"Kowalski", "kowalski"},
                                              {"Jensen", "jensen"},
                                              {"Nielsen", "nielsen"},
                                              {"Sato", "sato"},
                                              {"Suzuki", "suzuki"},
                                              {"Kim", "kim"},
                                              {"Park", "park"},
                                              {"Chen", "chen"},
                                              {"Wang", "wang"},
                                              {"Singh", "singh"},
                                              {"Patel", "patel"},
                                              {"Ivanova", "ivanova"},
                                              {"O'Brien", "obrien"},
                                              {"Van Dijk", "vandijk"},
                                              {"Øster", "oster"}};

static const char *const company_words[] = {
    "acme",    "bright",  "forge",    "north",   "wind",     "blue",
    "river",   "stone",   "pixel",    "cloud",   "vertex",   "summit",
    "harbor",  "maple",   "cedar",    "orbit",   "nova",     "quantum",
    "silver",  "iron",    "green",    "field",   "peak",     "lumen",
    "atlas",   "delta",   "echo",     "falcon",  "granite",  "helix",
    "indigo",  "juniper", "kinetic",  "lattice", "meridian", "nimbus",
    "oak",     "prairie", "quartz",   "radiant", "sable",    "tundra",
    "umbra",   "vector",  "willow",   "zenith",  "anchor",   "beacon",
    "copper",  "dynamo",  "ember",    "fjord",   "glacier",  "horizon",
    "isle",    "jade",    "keystone", "lotus",   "mosaic",   "nexus",
    "onyx",    "pioneer", "quill",    "ridge",   "sprout",   "tidal",
    "union",   "valley",  "wave",     "yield",   "works",    "labs",
    "systems", "logic",   "media",    "health",  "foods",    "legal",
    "capital", "energy",  "motors",   "design",  "build",    "trade"};

static const char *const tlds[] = {
    "com", "com", "com", "com", "com",    "net", "org", "io", "co.uk",
    "de",  "fr",  "nl",  "ca",  "com.au", "es",  "it",  "se", "ch"};

static const char *const company_suffixes[] = {
    "", "", "", " Inc", " Ltd", " GmbH", " LLC", ", Inc.", " & Co", " Group"};

static const char *const hosting_words[] = {
    "hostfarm", "mailcluster", "netzone",  "serverpark", "webspace",
    "mailhub",  "datanest",    "hostline", "mxpool",     "relaygrid"};

const char *const sim_role_locals[] = {
    "info",    "sales", "support",   "admin",   "contact",   "office",
    "billing", "hr",    "marketing", "noreply", "webmaster", "postmaster"};
const size_t sim_role_local_count = COUNT(sim_role_locals);

const char *const sim_disposable_domains[] = {
    "mailinator.com",   "yopmail.com",   "guerrillamail.com",
    "10minutemail.com", "trashmail.com", "eu.mailinator.com"};
const size_t sim_disposable_domain_count = COUNT(sim_disposable_domains);

const char *const sim_typo_domains[] = {"gmial.com", "hotmial.com", "gmail.con",
                                        "yahoo.co", "outlook.cmo"};
const size_t sim_typo_domain_count = COUNT(sim_typo_domains);

struct sim_person sim_person_random(struct sim_rng *rng)
{
  struct sim_person person;
  person.first = (unsigned)sim_rng_below(rng, COUNT(first_names));
  person.last = (unsigned)sim_rng_below(rng, COUNT(last_names));
  return person;
}

const char *sim_person_first(struct sim_person person)
{
  return first_names[person.first % COUNT(first_names)].display;
}

const char *sim_person_last(struct sim_person person)
{
  return last_names[person.last % COUNT(last_names)].display;
}

void sim_person_local(struct sim_rng *rng, struct sim_person person, char *buf,
                      size_t size)
{
  const char *f = first_names[person.first % COUNT(first_names)].ascii;
  const char *l = last_names[person.last % COUNT(last_names)].ascii;
  unsigned pattern = (unsigned)sim_rng_below(rng, 100);
  unsigned number = (unsigned)sim_rng_below(rng, 90) + 10;
  if (pattern < 35)
    snprintf(buf, size, "%s.%s", f, l);
  else if (pattern < 50)
    snprintf(buf, size, "%c%s", f[0], l);
  else if (pattern < 58)
    snprintf(buf, size, "%s", f);
  else if (pattern < 65)
    snprintf(buf, size, "%s_%s", f, l);
  else if (pattern < 70)
    snprintf(buf, size, "%s%c", f, l[0]);
  else if (pattern < 80)
    snprintf(buf, size, "%s.%s%u", f, l, number);
  else if (pattern < 90)
    snprintf(buf, size, "%c.%s", f[0], l);
  else if (pattern < 95)
    snprintf(buf, size, "%s.%s", l, f);
  else
    snprintf(buf, size, "%s-%s", f, l);
}

void sim_company_domain(struct sim_rng *rng, char *buf, size_t size)
{
  const char *a = company_words[sim_rng_below(rng, COUNT(company_words))];
  const char *b = company_words[sim_rng_below(rng, COUNT(company_words))];
  const char *tld = tlds[sim_rng_below(rng, COUNT(tlds))];
  unsigned shape = (unsigned)sim_rng_below(rng, 10);
  if (shape < 6)
    snprintf(buf, size, "%s%s.%s", a, b, tld);
  else if (shape < 9)
    snprintf(buf, size, "%s-%s.%s", a, b, tld);
  else
    snprintf(buf, size, "%s%u.%s", a, (unsigned)sim_rng_below(rng, 900) + 100,
             tld);
}

void sim_company_name(struct sim_rng *rng, const char *domain, char *buf,
                      size_t size)
{
  size_t len = strcspn(domain, ".");
  if (len >= size)
    len = size - 1;
  size_t out = 0;
  bool upper = true;
  for (size_t i = 0; i < len && out + 1 < size; i++) {
    char c = domain[i];
    if (c == '-') {
      buf[out++] = ' ';
      upper = true;
      continue;
    }
    buf[out++] = upper ? (char)toupper((unsigned char)c) : c;
    upper = false;
  }
  buf[out] = '\0';
  const char *suffix =
      company_suffixes[sim_rng_below(rng, COUNT(company_suffixes))];
  snprintf(buf + out, size - out, "%s", suffix);
}

const char *sim_hosting_word(size_t index)
{
  return hosting_words[index % COUNT(hosting_words)];
}
