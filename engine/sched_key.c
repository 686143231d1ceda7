/* MX scheduler: keys and their limits.
 *
 * A key contains the domain queues of engine/sched_queue.c, the key's
 * buckets, connection budget and backoff. Keys are found through an
 * intrusive hash map of the scheduler.
 *
 * A key without probes or sessions is not freed at once. It stays until
 * its buckets are full, its backoff is over and what it learned has expired,
 * because a new key would start with full buckets and no backoff, and
 * allow a burst that the server just rejected. Its timer is unreferenced
 * meanwhile, so an idle key never keeps the loop running.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/log.h"
#include "engine/sched_int.h"

#define MAP_INITIAL_BUCKETS 64

static void key_timer_cb(uv_timer_t *timer);
static void key_close_cb(uv_handle_t *handle);

struct sched_node **lc_sched_map_bucket(const struct sched_map *map,
                                        uint64_t hash)
{
  return &map->buckets[hash & (map->nbuckets - 1)];
}

/* Double the bucket array, or create it. On failure the map keeps its old
 * array, which stays correct, only slower. */
static bool map_grow(struct sched_map *map)
{
  size_t nbuckets = map->nbuckets ? map->nbuckets * 2 : MAP_INITIAL_BUCKETS;
  struct sched_node **buckets = calloc(nbuckets, sizeof(*buckets));

  if (buckets == NULL)
    return map->nbuckets > 0;
  for (size_t i = 0; i < map->nbuckets; i++) {
    struct sched_node *n = map->buckets[i];

    while (n != NULL) {
      struct sched_node *next = n->next;
      struct sched_node **slot = &buckets[n->hash & (nbuckets - 1)];

      n->next = *slot;
      *slot = n;
      n = next;
    }
  }
  free(map->buckets);
  map->buckets = buckets;
  map->nbuckets = nbuckets;
  return true;
}

bool lc_sched_map_insert(struct sched_map *map, struct sched_node *node)
{
  struct sched_node **slot;

  if (map->count >= map->nbuckets && !map_grow(map))
    return false;
  slot = lc_sched_map_bucket(map, node->hash);
  node->next = *slot;
  *slot = node;
  map->count++;
  return true;
}

void lc_sched_map_remove(struct sched_map *map, struct sched_node *node)
{
  struct sched_node **link = lc_sched_map_bucket(map, node->hash);

  while (*link != node)
    link = &(*link)->next;
  *link = node->next;
  map->count--;
}

void lc_sched_map_free(struct sched_map *map)
{
  free(map->buckets);
  map->buckets = NULL;
  map->nbuckets = map->count = 0;
}

static struct sched_key *key_find(const struct lc_sched *s, const char *name,
                                  uint64_t hash)
{
  if (s->keys.nbuckets == 0)
    return NULL;
  for (struct sched_node *n = *lc_sched_map_bucket(&s->keys, hash); n != NULL;
       n = n->next) {
    struct sched_key *key = (struct sched_key *)n;

    if (n->hash == hash && strcasecmp(key->name, name) == 0)
      return key;
  }
  return NULL;
}

static void key_init_limits(struct sched_key *key, uint64_t now)
{
  const struct lc_sched_options *o = &key->sched->opts;

  lc_bucket_init(&key->connects, o->connects_per_sec, o->per_mx_connections,
                 now);
  lc_bucket_init(&key->rcpts, o->rcpts_per_min / 60.0,
                 (double)o->rcpt_per_session * o->per_mx_connections, now);
  key->conn_budget = o->per_mx_connections;
  key->budget_ms = now;
  key->rcpt_limit = o->rcpt_per_session;
}

/* Return the key named NAME (without case), creating it. NULL when out of
 * memory. */
struct sched_key *lc_sched_key_get(struct lc_sched *s, const char *name)
{
  uint64_t hash = lc_sched_hash(name);
  struct sched_key *key = key_find(s, name, hash);
  size_t len = strlen(name);

  if (key != NULL)
    return key;
  if ((key = calloc(1, sizeof(*key) + len + 1)) == NULL)
    return NULL;
  memcpy(key->name, name, len + 1);
  key->node.hash = hash;
  key->sched = s;
  if (!lc_sched_map_insert(&s->keys, &key->node)) {
    free(key);
    return NULL;
  }
  if (uv_timer_init(s->loop, &key->timer) != 0) {
    lc_sched_map_remove(&s->keys, &key->node);
    free(key);
    return NULL;
  }
  key->timer.data = key;
  s->handles++;
  key_init_limits(key, uv_now(s->loop));
  if (++s->stats.keys_open > s->stats.keys_peak)
    s->stats.keys_peak = s->stats.keys_open;
  lc_trace("sched key %s: created", key->name);
  return key;
}

/* Return the connections KEY may have open at NOW: the budget halved by
 * backoffs, grown back by one per backoff_ms once the backoff is over. */
unsigned lc_sched_key_budget(struct sched_key *key, uint64_t now)
{
  const struct lc_sched_options *o = &key->sched->opts;
  uint64_t steps;

  if (key->conn_budget >= o->per_mx_connections || now < key->budget_ms)
    return key->conn_budget;
  steps = (now - key->budget_ms) / o->backoff_ms;
  if (steps >= o->per_mx_connections - key->conn_budget)
    key->conn_budget = o->per_mx_connections;
  else
    key->conn_budget += (unsigned)steps;
  key->budget_ms += steps * o->backoff_ms;
  return key->conn_budget;
}

/* React to a rate limit: no new session for a while (backoff_ms, doubled
 * per consecutive backoff up to backoff_max_ms) and half the connection
 * budget. Sessions that hit the same limit while a backoff is in force
 * report the same event, so they change nothing. */
void lc_sched_key_back_off(struct sched_key *key, uint64_t now)
{
  const struct lc_sched_options *o = &key->sched->opts;
  uint64_t delay = o->backoff_ms;
  unsigned budget = lc_sched_key_budget(key, now);

  if (now < key->backoff_until_ms)
    return;
  for (unsigned i = 0; i < key->backoffs && delay < o->backoff_max_ms; i++)
    delay *= 2;
  if (delay > o->backoff_max_ms)
    delay = o->backoff_max_ms;
  key->backoffs++;
  key->backoff_until_ms = now + delay;
  key->conn_budget = budget > 1 ? budget / 2 : 1;
  key->budget_ms = key->backoff_until_ms;
  key->sched->stats.backoffs++;
  lc_debug("sched %s: rate limited, backing off %llu ms, %u connections",
           key->name, (unsigned long long)delay, key->conn_budget);
}

void lc_sched_key_pause(struct sched_key *key, uint64_t now)
{
  uint64_t until = now + key->sched->opts.backoff_ms;

  /* A host that refuses connections says nothing about the rate the other
   * hosts of the key accept, so the pause neither grows with repeats nor
   * cuts the connection budget. */
  if (until > key->backoff_until_ms)
    key->backoff_until_ms = until;
  lc_debug("sched %s: pausing %u ms after a failed connection", key->name,
           key->sched->opts.backoff_ms);
}

/* Put KEY at the end of the list of keys that may start a session. */
void lc_sched_key_ready(struct sched_key *key)
{
  struct lc_sched *s = key->sched;

  if (key->ready || key->closing || s->closing)
    return;
  key->ready = true;
  key->ready_next = NULL;
  if (s->ready_tail != NULL)
    s->ready_tail->ready_next = key;
  else
    s->ready = key;
  s->ready_tail = key;
  lc_sched_kick(s);
}

/* Wake KEY after DELAY_MS to start a session. */
void lc_sched_key_wake_at(struct sched_key *key, uint64_t delay_ms)
{
  uv_ref((uv_handle_t *)&key->timer);
  uv_timer_start(&key->timer, key_timer_cb, delay_ms, 0);
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
  return a > b ? a : b;
}

/* Time from which KEY has no state that a new key would lack. */
static uint64_t key_fresh_ms(struct sched_key *key, uint64_t now)
{
  const struct lc_sched_options *o = &key->sched->opts;
  uint64_t at = now + lc_bucket_full_ms(&key->connects, now);

  at = max_u64(at, now + lc_bucket_full_ms(&key->rcpts, now));
  at = max_u64(at, key->backoff_until_ms);
  if (lc_sched_key_budget(key, now) < o->per_mx_connections)
    at = max_u64(at, key->budget_ms +
                         (uint64_t)o->backoff_ms *
                             (o->per_mx_connections - key->conn_budget));
  return max_u64(at, key->learned_until_ms);
}

/* Free KEY when it is idle and fresh, or arm its timer for then. */
void lc_sched_key_settle(struct sched_key *key)
{
  uint64_t now = uv_now(key->sched->loop);
  uint64_t at;

  if (key->closing || key->ready || key->queued > 0 || key->nsessions > 0)
    return;
  at = key_fresh_ms(key, now);
  if (at <= now) {
    lc_sched_key_close(key);
    return;
  }
  uv_timer_start(&key->timer, key_timer_cb, at - now, 0);
  uv_unref((uv_handle_t *)&key->timer);
}

static void key_timer_cb(uv_timer_t *timer)
{
  struct sched_key *key = timer->data;

  if (key->queued > 0)
    lc_sched_key_ready(key);
  else
    lc_sched_key_settle(key);
}

/* Remove KEY from the map and free it once its timer is closed. The key
 * must have no session left. */
void lc_sched_key_close(struct sched_key *key)
{
  if (key->closing)
    return;
  key->closing = true;
  lc_trace("sched key %s: freed", key->name);
  lc_sched_map_remove(&key->sched->keys, &key->node);
  uv_close((uv_handle_t *)&key->timer, key_close_cb);
}

static void key_close_cb(uv_handle_t *handle)
{
  struct sched_key *key = handle->data;
  struct lc_sched *s = key->sched;

  s->handles--;
  s->stats.keys_open--;
  free(key);
  lc_sched_maybe_free(s);
}
