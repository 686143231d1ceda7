/* Results of addresses already checked in this run, so that duplicates
 * are probed once: a later copy waits for the first one in flight, or
 * takes the stored result. The table keeps the newest NET_SEEN_MAX
 * finished results; an older duplicate is checked again. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/dedup.h"
#include "engine/net_int.h"

/* Finished results kept; about 200 bytes each. */
#define NET_SEEN_MAX 100000

struct net_seen {
  uint64_t hash;
  struct net_seen *hash_next;
  struct net_seen *lru_prev, *lru_next; /* finished entries, oldest first */
  struct net_addr *owner;               /* first copy, while in flight */
  struct net_addr *waiters;             /* later copies */
  bool done;
  struct lc_verdict verdict;
  enum lc_identity identity;
  enum lc_tristate gateway, catch_all;
  const char *provider;
  char *mx, *smtp_code, *smtp_message;
  char address[];
};

struct net_seen_table {
  struct net_seen **slots;
  size_t size, count, finished;
  struct net_seen *lru_head, *lru_tail;
};

static struct net_seen **seen_bucket(struct net_seen_table *t, uint64_t h)
{
  return &t->slots[h & (t->size - 1)];
}

struct net_seen_table *lc_net_seen_new(void)
{
  struct net_seen_table *t = calloc(1, sizeof(*t));

  if (t == NULL)
    return NULL;
  t->size = 4096;
  t->slots = calloc(t->size, sizeof(*t->slots));
  if (t->slots == NULL) {
    free(t);
    return NULL;
  }
  return t;
}

static void seen_free_entry(struct net_seen *s)
{
  free(s->mx);
  free(s->smtp_code);
  free(s->smtp_message);
  free(s);
}

void lc_net_seen_free(struct net_seen_table *t)
{
  if (t == NULL)
    return;
  for (size_t i = 0; i < t->size; i++) {
    struct net_seen *s = t->slots[i], *next;
    for (; s != NULL; s = next) {
      next = s->hash_next;
      seen_free_entry(s);
    }
  }
  free(t->slots);
  free(t);
}

static void seen_grow(struct net_seen_table *t)
{
  size_t size = t->size * 2;
  struct net_seen **slots = calloc(size, sizeof(*slots));

  if (slots == NULL)
    return;
  for (size_t i = 0; i < t->size; i++) {
    struct net_seen *s = t->slots[i], *next;
    for (; s != NULL; s = next) {
      next = s->hash_next;
      s->hash_next = slots[s->hash & (size - 1)];
      slots[s->hash & (size - 1)] = s;
    }
  }
  free(t->slots);
  t->slots = slots;
  t->size = size;
}

static void seen_remove(struct net_seen_table *t, struct net_seen *s)
{
  struct net_seen **pp = seen_bucket(t, s->hash);

  while (*pp != s)
    pp = &(*pp)->hash_next;
  *pp = s->hash_next;
  t->count--;
}

static void seen_evict(struct net_seen_table *t)
{
  while (t->finished > NET_SEEN_MAX && t->lru_head != NULL) {
    struct net_seen *s = t->lru_head;
    t->lru_head = s->lru_next;
    if (t->lru_head != NULL)
      t->lru_head->lru_prev = NULL;
    else
      t->lru_tail = NULL;
    t->finished--;
    seen_remove(t, s);
    seen_free_entry(s);
  }
}

/* Copy a stored result into a row's result; the row keeps its own flags
 * and normalized address. */
static void seen_apply(const struct net_seen *s, struct lc_result *r)
{
  r->verdict = s->verdict;
  r->identity = s->identity;
  r->gateway = s->gateway;
  r->catch_all = s->catch_all;
  r->provider = s->provider;
  lc_result_set_mx(r, s->mx ? s->mx : "");
  strncpy(r->smtp_code, s->smtp_code ? s->smtp_code : "",
          sizeof(r->smtp_code) - 1);
  lc_result_set_message(r, s->smtp_message ? s->smtp_message : "");
}

enum lc_net_seen_state lc_net_seen_claim(struct net_seen_table *t,
                                         struct net_addr *addr,
                                         const char *address)
{
  size_t len = strlen(address);
  uint64_t h = lc_hash_nocase(address, len);
  struct net_seen *s = *seen_bucket(t, h);

  for (; s != NULL; s = s->hash_next)
    if (s->hash == h && strcasecmp(s->address, address) == 0)
      break;
  if (s != NULL && s->done) {
    seen_apply(s, &addr->item->result);
    return LC_NET_SEEN_DONE;
  }
  if (s != NULL) {
    addr->next = s->waiters;
    s->waiters = addr;
    return LC_NET_SEEN_WAIT;
  }
  s = calloc(1, sizeof(*s) + len + 1);
  if (s == NULL)
    return LC_NET_SEEN_OWNER; /* checked without sharing */
  memcpy(s->address, address, len + 1);
  s->hash = h;
  s->owner = addr;
  addr->seen = s;
  if (t->count + 1 > t->size)
    seen_grow(t);
  s->hash_next = *seen_bucket(t, h);
  *seen_bucket(t, h) = s;
  t->count++;
  return LC_NET_SEEN_OWNER;
}

static char *seen_strdup(const char *text)
{
  return text[0] != '\0' ? strdup(text) : NULL;
}

struct net_addr *lc_net_seen_finish(struct net_seen_table *t,
                                    struct net_addr *addr)
{
  struct net_seen *s = addr->seen;
  const struct lc_result *r = &addr->item->result;
  struct net_addr *waiters;

  if (s == NULL)
    return NULL;
  s->done = true;
  s->owner = NULL;
  s->verdict = r->verdict;
  s->identity = r->identity;
  s->gateway = r->gateway;
  s->catch_all = r->catch_all;
  s->provider = r->provider;
  s->mx = seen_strdup(lc_result_mx(r));
  s->smtp_code = seen_strdup(r->smtp_code);
  s->smtp_message = seen_strdup(lc_result_message(r));
  waiters = s->waiters;
  s->waiters = NULL;
  for (struct net_addr *w = waiters; w != NULL; w = w->next)
    seen_apply(s, &w->item->result);
  s->lru_prev = t->lru_tail;
  if (t->lru_tail != NULL)
    t->lru_tail->lru_next = s;
  else
    t->lru_head = s;
  t->lru_tail = s;
  t->finished++;
  seen_evict(t);
  return waiters;
}
