/* Typo suggestions: TLD fixes and a filtered edit-distance search over the
 * popular domains. */
#include "engine/typo.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/strset.h"

/* Names longer than a DNS label cannot match a target. */
#define NAME_LEN_MAX 63
#define DISTANCE_MAX 2
/* Public suffixes of the popular domains have at most this many labels
 * ("com.au"); a query tries each split of its last labels. */
#define SUFFIX_LABELS_MAX 3

/* A popular domain is a registrable domain: its first label is the name
 * that typos change, the rest its public suffix. */
struct typo_target {
  const char *name; /* the whole domain; the name is its first label */
  size_t name_len;
  size_t group;  /* index of the suffix in lc_typo.suffixes */
  size_t rank;   /* position in the popular list */
  uint64_t mask; /* characters of the name, see char_bit() */
};

/* Targets of one suffix with name length L are
 * targets[first[L]] .. targets[first[L + 1] - 1]. */
struct typo_group {
  size_t first[NAME_LEN_MAX + 2];
};

struct lc_typo {
  const struct lc_lists *lists;
  struct typo_target *targets; /* sorted by group, name length, rank */
  size_t count;
  struct lc_strset suffixes;
  struct typo_group *groups; /* one per suffix */
};

/* A mistyped top-level domain and its fix. Mistypings that are real
 * ccTLDs (Cameroon, Colombia, Oman, Niger) only count when the fixed
 * domain is known, because many real domains end in them. */
struct tld_fix {
  const char *typo;
  size_t typo_len;
  const char *fix;
  size_t fix_len;
  bool real_tld;
};

#define TLD_FIX(typo, fix, real)                                               \
  {                                                                            \
    typo, sizeof(typo) - 1, fix, sizeof(fix) - 1, real                         \
  }

static const struct tld_fix tld_fixes[] = {
    TLD_FIX("con", "com", false),  TLD_FIX("cmo", "com", false),
    TLD_FIX("ocm", "com", false),  TLD_FIX("vom", "com", false),
    TLD_FIX("xom", "com", false),  TLD_FIX("cpm", "com", false),
    TLD_FIX("cim", "com", false),  TLD_FIX("comm", "com", false),
    TLD_FIX("coom", "com", false), TLD_FIX("ccom", "com", false),
    TLD_FIX("c0m", "com", false),  TLD_FIX("cm", "com", true),
    TLD_FIX("co", "com", true),    TLD_FIX("om", "com", true),
    TLD_FIX("nte", "net", false),  TLD_FIX("ner", "net", false),
    TLD_FIX("nt", "net", false),   TLD_FIX("ent", "net", false),
    TLD_FIX("nett", "net", false), TLD_FIX("ne", "net", true),
    TLD_FIX("ogr", "org", false),  TLD_FIX("rog", "org", false),
    TLD_FIX("orh", "org", false),  TLD_FIX("og", "org", false),
    TLD_FIX("or", "org", false),   TLD_FIX("orgg", "org", false),
};

/* Bit of one domain character: a-z, 0-9, '-', '.'; anything else 63. */
static uint64_t char_bit(char c)
{
  if (c >= 'a' && c <= 'z')
    return (uint64_t)1 << (c - 'a');
  if (c >= '0' && c <= '9')
    return (uint64_t)1 << (26 + c - '0');
  if (c == '-')
    return (uint64_t)1 << 36;
  if (c == '.')
    return (uint64_t)1 << 37;
  return (uint64_t)1 << 63;
}

static uint64_t char_mask(const char *s, size_t len)
{
  uint64_t mask = 0;

  for (size_t i = 0; i < len; i++)
    mask |= char_bit(s[i]);
  return mask;
}

static int compare_targets(const void *a, const void *b)
{
  const struct typo_target *x = a, *y = b;

  if (x->group != y->group)
    return x->group < y->group ? -1 : 1;
  if (x->name_len != y->name_len)
    return x->name_len < y->name_len ? -1 : 1;
  return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static void index_targets(struct lc_typo *typo)
{
  size_t i = 0, groups = lc_strset_count(&typo->suffixes);

  qsort(typo->targets, typo->count, sizeof(*typo->targets), compare_targets);
  for (size_t g = 0; g < groups; g++) {
    for (size_t len = 0; len <= NAME_LEN_MAX + 1; len++) {
      while (i < typo->count && typo->targets[i].group == g &&
             typo->targets[i].name_len < len)
        i++;
      typo->groups[g].first[len] = i;
    }
    while (i < typo->count && typo->targets[i].group == g)
      i++;
  }
}

/* Fill in target T from popular domain RANK, adding its suffix group. */
static enum lc_status add_target(struct lc_typo *typo, size_t rank)
{
  struct typo_target *t = &typo->targets[typo->count];
  const char *dot;
  enum lc_status status;
  size_t len;

  t->name = lc_lists_entry(typo->lists, LC_LIST_POPULAR, rank, &len);
  if ((dot = memchr(t->name, '.', len)) == NULL)
    return LC_OK; /* a single label has no suffix to keep */
  t->name_len = (size_t)(dot - t->name);
  status = lc_strset_add(&typo->suffixes, dot + 1, len - t->name_len - 1, NULL);
  if (status != LC_OK)
    return status;
  t->group = lc_strset_find(&typo->suffixes, dot + 1, len - t->name_len - 1);
  t->rank = rank;
  t->mask = char_mask(t->name, t->name_len);
  typo->count++;
  return LC_OK;
}

enum lc_status lc_typo_new(const struct lc_lists *lists, struct lc_typo **out)
{
  size_t total = lc_lists_count(lists, LC_LIST_POPULAR);
  struct lc_typo *typo = calloc(1, sizeof(*typo));
  enum lc_status status = LC_ERR_NOMEM;

  if (typo == NULL)
    return LC_ERR_NOMEM;
  typo->lists = lists;
  lc_strset_init(&typo->suffixes);
  typo->targets = calloc(total ? total : 1, sizeof(*typo->targets));
  if (typo->targets == NULL)
    goto done;
  status = LC_OK;
  for (size_t rank = 0; rank < total && status == LC_OK; rank++)
    status = add_target(typo, rank);
  if (status != LC_OK)
    goto done;
  typo->groups =
      calloc(lc_strset_count(&typo->suffixes) + 1, sizeof(*typo->groups));
  if (typo->groups == NULL) {
    status = LC_ERR_NOMEM;
    goto done;
  }
  index_targets(typo);
  *out = typo;
  typo = NULL;
done:
  lc_typo_free(typo);
  return status;
}

void lc_typo_free(struct lc_typo *typo)
{
  if (typo == NULL)
    return;
  lc_strset_clear(&typo->suffixes);
  free(typo->groups);
  free(typo->targets);
  free(typo);
}

static size_t min3(size_t a, size_t b, size_t c)
{
  size_t m = a < b ? a : b;

  return m < c ? m : c;
}

/* Optimal string alignment distance of A and B (B at most NAME_LEN_MAX
 * bytes), or MAX + 1 as soon as it must exceed MAX. */
static size_t osa_distance(const char *a, size_t n, const char *b, size_t m,
                           size_t max)
{
  size_t rows[3][NAME_LEN_MAX + 1];
  size_t *before = rows[0], *prev = rows[1], *cur = rows[2];

  for (size_t j = 0; j <= m; j++)
    prev[j] = j;
  for (size_t i = 1; i <= n; i++) {
    size_t row_min = cur[0] = i;

    for (size_t j = 1; j <= m; j++) {
      size_t cost = a[i - 1] != b[j - 1];
      size_t d = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);

      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          before[j - 2] + 1 < d)
        d = before[j - 2] + 1;
      cur[j] = d;
      row_min = d < row_min ? d : row_min;
    }
    if (row_min > max)
      return max + 1;
    size_t *spare = before;
    before = prev, prev = cur, cur = spare;
  }
  return prev[m];
}

/* Edits allowed between a name of NAME_LEN characters and a target name of
 * TARGET_LEN characters. Short names have many real neighbours, so the
 * shorter of the two gets no edit below 4 characters, and at 4 only the
 * name may miss one character of the target ("gmal" for "gmail", but not
 * "gmail" for "mail"). */
static size_t allowed_distance(size_t name_len, size_t target_len)
{
  size_t shorter = name_len < target_len ? name_len : target_len;

  if (shorter < 4)
    return 0;
  if (shorter == 4)
    return name_len == 4 && target_len == 5 ? 1 : 0;
  return shorter < 10 ? 1 : DISTANCE_MAX;
}

/* Return whether X has at most MAX bits set. */
static bool few_bits(uint64_t x, size_t max)
{
  for (size_t i = 0; i < max && x != 0; i++)
    x &= x - 1;
  return x == 0;
}

static bool masks_close(uint64_t a, uint64_t b, size_t max)
{
  /* Every edit adds at most one character that the other side lacks. */
  return few_bits(a & ~b, max) && few_bits(b & ~a, max);
}

/* Row and column of C on a US QWERTY keyboard, or false. */
static bool key_position(char c, int *row, int *col)
{
  static const char *const rows[] = {"1234567890", "qwertyuiop", "asdfghjkl",
                                     "zxcvbnm"};

  for (int r = 0; r < 4; r++) {
    const char *hit = strchr(rows[r], c);

    if (c != '\0' && hit != NULL) {
      *row = r;
      *col = (int)(hit - rows[r]);
      return true;
    }
  }
  return false;
}

/* Return whether keys A and B touch: neighbours in a row, or a key and the
 * two keys below it (each row sits half a key to the right). */
static bool keys_adjacent(char a, char b)
{
  int ra, ca, rb, cb;

  if (!key_position(a, &ra, &ca) || !key_position(b, &rb, &cb))
    return false;
  if (ra == rb)
    return ca - cb == 1 || cb - ca == 1;
  if (ra > rb) {
    int r = ra, c = ca;

    ra = rb, ca = cb, rb = r, cb = c;
  }
  return rb == ra + 1 && (cb == ca || cb == ca - 1);
}

/* For names under 7 characters a substitution counts only between
 * neighbouring keys, so "gmaol" is a typo of "gmail" but "never" is not
 * one of "naver". A and B are N bytes long and one edit apart. */
static bool plausible_edit(const char *a, const char *b, size_t n)
{
  size_t i = 0;

  while (i < n && a[i] == b[i])
    i++;
  if (i + 1 < n && memcmp(a + i + 1, b + i + 1, n - i - 1) != 0)
    return true; /* a transposition */
  return keys_adjacent(a[i], b[i]);
}

/* Return the distance of NAME to the name of target T, which has the
 * same suffix, or DISTANCE_MAX + 1 when it exceeds the distance allowed.
 * MASK is char_mask() of NAME. */
static size_t target_distance(const struct typo_target *t, const char *name,
                              size_t name_len, uint64_t mask)
{
  size_t max = allowed_distance(name_len, t->name_len), d;

  if (max == 0 || !masks_close(mask, t->mask, max))
    return DISTANCE_MAX + 1;
  d = osa_distance(name, name_len, t->name, t->name_len, max);
  if (d > max || (d == 1 && name_len < 7 && name_len == t->name_len &&
                  !plausible_edit(name, t->name, name_len)))
    return DISTANCE_MAX + 1;
  return d;
}

/* Update *BEST with the closest target of suffix group G to NAME. */
static void search_group(const struct lc_typo *typo, size_t g, const char *name,
                         size_t name_len, const struct typo_target **best,
                         size_t *best_dist)
{
  const struct typo_group *group = &typo->groups[g];
  size_t lo = name_len > DISTANCE_MAX ? name_len - DISTANCE_MAX : 0;
  size_t hi = name_len + DISTANCE_MAX;
  uint64_t mask = char_mask(name, name_len);

  if (hi > NAME_LEN_MAX)
    hi = NAME_LEN_MAX;
  for (size_t i = group->first[lo]; i < group->first[hi + 1]; i++) {
    const struct typo_target *t = &typo->targets[i];
    size_t d = target_distance(t, name, name_len, mask);

    if (d < *best_dist ||
        (d == *best_dist && *best != NULL && t->rank < (*best)->rank)) {
      *best = t;
      *best_dist = d;
    }
  }
}

/* Return the best popular domain within the allowed distance of DOMAIN,
 * or NULL. Each split of DOMAIN into a name and one of the popular
 * suffixes is searched; the name keeps any labels left of the split. */
static const struct typo_target *nearest_target(const struct lc_typo *typo,
                                                const char *domain, size_t len)
{
  const struct typo_target *best = NULL;
  size_t best_dist = DISTANCE_MAX + 1, name_len = len;

  for (int labels = 0; labels < SUFFIX_LABELS_MAX; labels++) {
    const char *dot = memrchr(domain, '.', name_len);
    size_t g;

    if (dot == NULL)
      break;
    name_len = (size_t)(dot - domain);
    g = lc_strset_find(&typo->suffixes, dot + 1, len - name_len - 1);
    if (g != LC_STRSET_NONE && name_len <= NAME_LEN_MAX + DISTANCE_MAX)
      search_group(typo, g, domain, name_len, &best, &best_dist);
  }
  return best;
}

static bool copy_out(const char *s, size_t len, char *out, size_t size)
{
  if (len + 1 > size)
    return false;
  memcpy(out, s, len);
  out[len] = '\0';
  return true;
}

/* Write the best suggestion for DOMAIN from the popular list to OUT. */
static bool suggest_near(const struct lc_typo *typo, const char *domain,
                         size_t len, char *out, size_t size)
{
  const struct typo_target *t = nearest_target(typo, domain, len);

  return t != NULL && copy_out(t->name, strlen(t->name), out, size);
}

/* Try the TLD fixes on DOMAIN, whose TLD is the TLD_LEN bytes at TLD. */
static bool suggest_tld(const struct lc_typo *typo, const char *domain,
                        size_t len, size_t tld_len, char *out, size_t size)
{
  size_t base = len - tld_len;
  char fixed[LC_ADDR_DOMAIN_MAX + 1];

  for (size_t i = 0; i < sizeof(tld_fixes) / sizeof(tld_fixes[0]); i++) {
    const struct tld_fix *f = &tld_fixes[i];
    size_t fix_len = f->fix_len;

    if (f->typo_len != tld_len || memcmp(domain + base, f->typo, tld_len))
      continue;
    if (base + fix_len > LC_ADDR_DOMAIN_MAX)
      return false;
    memcpy(fixed, domain, base);
    memcpy(fixed + base, f->fix, fix_len + 1);
    if (lc_lists_is_known(typo->lists, fixed, base + fix_len))
      return copy_out(fixed, base + fix_len, out, size);
    return !f->real_tld && suggest_near(typo, fixed, base + fix_len, out, size);
  }
  return false;
}

bool lc_typo_suggest_domain(const struct lc_typo *typo, const char *domain,
                            size_t len, char *out, size_t size)
{
  const char *dot;

  if (len == 0 || domain[0] == '[' || len > LC_ADDR_DOMAIN_MAX)
    return false;
  if ((dot = memrchr(domain, '.', len)) == NULL)
    return false;
  if (lc_lists_is_known(typo->lists, domain, len))
    return false;
  if (suggest_tld(typo, domain, len, len - (size_t)(dot + 1 - domain), out,
                  size))
    return true;
  return suggest_near(typo, domain, len, out, size);
}

bool lc_typo_suggest(const struct lc_typo *typo, const struct lc_address *addr,
                     char *out, size_t size)
{
  char fixed[LC_ADDR_DOMAIN_MAX + 1];
  size_t fixed_len, total;

  if (addr->result != LC_ADDR_OK || (addr->flags & LC_ADDR_LITERAL))
    return false;
  if (!lc_typo_suggest_domain(typo, addr->domain, addr->domain_len, fixed,
                              sizeof(fixed)))
    return false;
  fixed_len = strlen(fixed);
  total = addr->local_len + 1 + fixed_len;
  if (total > LC_ADDR_PATH_MAX || total + 1 > size)
    return false;
  memcpy(out, addr->local, addr->local_len);
  out[addr->local_len] = '@';
  memcpy(out + addr->local_len + 1, fixed, fixed_len + 1);
  return true;
}
