/* `simworld gen`: options, profile weights and the three output files. */
#include "bench/simworld/gen.h"
#include "bench/simworld/profile.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PATH_LEN 4096
#define WRITE_BUFFER (1u << 20)

/* Default draw weights (per mille) of the DNS profiles of random domains. */
static const uint32_t default_dns[SIM_DNS_COUNT] = {
    [SIM_DNS_MX] = 800,          [SIM_DNS_MX_EQUAL] = 40,
    [SIM_DNS_DEAD_PRIMARY] = 30, [SIM_DNS_MX_CNAME] = 25,
    [SIM_DNS_IMPLICIT] = 25,     [SIM_DNS_NULL_MX] = 10,
    [SIM_DNS_MX_NXTARGET] = 10,  [SIM_DNS_NXDOMAIN] = 20,
    [SIM_DNS_SERVFAIL] = 8,      [SIM_DNS_REFUSED] = 7,
    [SIM_DNS_SILENT] = 5,        [SIM_DNS_BIG] = 10,
    [SIM_DNS_UNREACHABLE] = 10};

/* Default weights of the SMTP profiles, in sim_smtp_profiles order. They
 * size the host pools as well as the draws of random domains. */
static const uint32_t default_smtp[] = {
    400, /* normal */ 60,      /* catchall */ 40,   /* gw_reject */
    50,  /* gw_validate */ 60, /* ms_dbeb */ 80,    /* ms_accept */
    15,  /* policy */ 10,      /* banner554 */ 10,  /* noptr */
    30,  /* greylist */ 15,    /* connlimit */ 20,  /* rcptlimit */
    10,  /* tarpit */ 15,      /* disconnect */ 25, /* starttls */
    20,  /* multiline */ 15,   /* lfonly */ 10,     /* refused */
    5 /* silent */};

/* Realms of Microsoft and gateway domains; other domains have none. */
static const uint32_t default_realm[SIM_REALM_COUNT] = {
    [SIM_REALM_NONE] = 15,
    [SIM_REALM_MANAGED] = 60,
    [SIM_REALM_MANAGED_ALL] = 10,
    [SIM_REALM_FEDERATED_OKTA] = 8,
    [SIM_REALM_FEDERATED_ADFS] = 7};

static const struct option gen_long_options[] = {
    {"seed", required_argument, NULL, 's'},
    {"domains", required_argument, NULL, 'd'},
    {"addresses", required_argument, NULL, 'a'},
    {"rows", required_argument, NULL, 'r'},
    {"mx-hosts", required_argument, NULL, 'm'},
    {"profile-mix", required_argument, NULL, 'p'},
    {"extra", required_argument, NULL, 'x'},
    {"out", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static void gen_usage(FILE *out)
{
  fprintf(out,
          "usage: simworld gen --out DIR [options]\n"
          "  --seed S           seed of the generator (default 1)\n"
          "  --domains N        domains in the world (default 1000)\n"
          "  --addresses M      mailboxes in the world (default 10000)\n"
          "  --rows R           data rows of input.csv (default M)\n"
          "  --mx-hosts H       distinct MX addresses (default 500)\n"
          "  --profile-mix L    weights, e.g. smtp:greylist=0,dns:big=50,\n"
          "                     realm:managed=10 (see README.md)\n"
          "  --extra FILE       add the hosts, domains and mailboxes listed\n"
          "                     in FILE (see README.md)\n"
          "Writes DIR/world, DIR/input.csv and DIR/truth.csv.\n");
}

void sim_gen_defaults(struct sim_gen_options *options)
{
  memset(options, 0, sizeof(*options));
  options->seed = 1;
  options->domains = 1000;
  options->addresses = 10000;
  options->mx_hosts = 500;
  memcpy(options->dns_weight, default_dns, sizeof(default_dns));
  memcpy(options->smtp_weight, default_smtp, sizeof(default_smtp));
  memcpy(options->realm_weight, default_realm, sizeof(default_realm));
}

/* Set the weight of NAME in the table of KIND. */
static bool set_weight(struct sim_gen_options *options, const char *kind,
                       size_t kind_len, const char *name, size_t len,
                       uint32_t weight)
{
  if (kind_len == 3 && memcmp(kind, "dns", 3) == 0) {
    enum sim_dns_profile dns;
    if (!sim_dns_profile_parse(name, len, &dns))
      return false;
    options->dns_weight[dns] = weight;
    return true;
  }
  if (kind_len == 5 && memcmp(kind, "realm", 5) == 0) {
    enum sim_realm realm;
    if (!sim_realm_parse(name, len, &realm))
      return false;
    options->realm_weight[realm] = weight;
    return true;
  }
  if (kind_len != 4 || memcmp(kind, "smtp", 4) != 0)
    return false;
  for (size_t p = 0; p < sim_smtp_profile_count; p++) {
    const char *profile = sim_smtp_profiles[p].name;
    if (strlen(profile) == len && memcmp(profile, name, len) == 0) {
      options->smtp_weight[p] = weight;
      return true;
    }
  }
  return false;
}

bool sim_gen_parse_mix(struct sim_gen_options *options, const char *mix)
{
  const char *entry = mix;
  while (*entry != '\0') {
    size_t len = strcspn(entry, ",");
    const char *colon = memchr(entry, ':', len);
    const char *equals = memchr(entry, '=', len);
    char *end = NULL;
    unsigned long weight = 0;
    if (equals != NULL)
      weight = strtoul(equals + 1, &end, 10);
    if (colon == NULL || equals == NULL || equals < colon ||
        end != entry + len || weight > 1000000 ||
        !set_weight(options, entry, (size_t)(colon - entry), colon + 1,
                    (size_t)(equals - colon - 1), (uint32_t)weight)) {
      fprintf(stderr,
              "simworld: invalid --profile-mix entry \"%.*s\"; expected "
              "dns:NAME=W, smtp:NAME=W or realm:NAME=W with a known NAME\n",
              (int)len, entry);
      return false;
    }
    entry += len;
    if (*entry == ',')
      entry++;
  }
  return true;
}

static bool parse_size(const char *arg, const char *option, size_t *out)
{
  char *end;
  errno = 0;
  unsigned long long value = strtoull(arg, &end, 10);
  if (errno != 0 || *end != '\0' || end == arg || value > 100000000ull) {
    fprintf(stderr,
            "simworld: invalid %s \"%s\"; expected a number up to "
            "100000000\n",
            option, arg);
    return false;
  }
  *out = (size_t)value;
  return true;
}

static bool parse_gen_args(int argc, char **argv, struct sim_gen_options *o)
{
  int opt;
  bool ok = true;
  bool rows_set = false;
  size_t seed = 1;
  optind = 1;
  while (ok &&
         (opt = getopt_long(argc, argv, "", gen_long_options, NULL)) != -1) {
    switch (opt) {
    case 's':
      ok = parse_size(optarg, "--seed", &seed);
      o->seed = seed;
      break;
    case 'd':
      ok = parse_size(optarg, "--domains", &o->domains);
      break;
    case 'a':
      ok = parse_size(optarg, "--addresses", &o->addresses);
      break;
    case 'r':
      ok = rows_set = parse_size(optarg, "--rows", &o->rows);
      break;
    case 'm':
      ok = parse_size(optarg, "--mx-hosts", &o->mx_hosts);
      break;
    case 'p':
      ok = sim_gen_parse_mix(o, optarg);
      break;
    case 'o':
      o->out_dir = optarg;
      break;
    case 'x':
      o->extra_path = optarg;
      break;
    case 'h':
      gen_usage(stdout);
      exit(0);
    default:
      ok = false;
    }
  }
  if (!rows_set)
    o->rows = o->addresses;
  if (ok && (o->out_dir == NULL || optind != argc)) {
    gen_usage(stderr);
    ok = false;
  }
  return ok;
}

static enum lc_status write_world(const struct sim_world *world,
                                  const char *path)
{
  FILE *out = fopen(path, "wb");
  if (out == NULL) {
    fprintf(stderr, "simworld: cannot create %s: %s\n", path, strerror(errno));
    return LC_ERR_IO;
  }
  setvbuf(out, NULL, _IOFBF, WRITE_BUFFER);
  enum lc_status status = sim_world_write(world, out);
  if (fclose(out) != 0 || status != LC_OK) {
    fprintf(stderr, "simworld: cannot write %s\n", path);
    return LC_ERR_IO;
  }
  return LC_OK;
}

int sim_gen_main(int argc, char **argv)
{
  struct sim_gen_options options;
  sim_gen_defaults(&options);
  if (!parse_gen_args(argc, argv, &options))
    return 2;
  if (mkdir(options.out_dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "simworld: cannot create %s: %s\n", options.out_dir,
            strerror(errno));
    return 1;
  }
  char path[PATH_LEN];
  struct sim_rng rng;
  struct sim_gen_world gen = {0};
  struct sim_rows rows = {0};
  sim_rng_seed(&rng, options.seed);
  enum lc_status status = sim_gen_world(&options, &rng, &gen);
  snprintf(path, sizeof(path), "%s/world", options.out_dir);
  if (status == LC_OK)
    status = write_world(gen.world, path);
  snprintf(path, sizeof(path), "%s/input.csv", options.out_dir);
  if (status == LC_OK)
    status = sim_gen_rows(&options, &gen, &rng, path, &rows);
  snprintf(path, sizeof(path), "%s/truth.csv", options.out_dir);
  if (status == LC_OK)
    status = sim_truth_write(gen.world, &rows, path);
  free(rows.rows);
  sim_gen_world_free(&gen);
  return status == LC_OK ? 0 : 1;
}
