/* World model storage: growable arrays, a string arena and hash indexes.
 *
 * Names, hosts and mailboxes are indexed by open addressing with linear
 * probing. Tables double when half full, so a lookup touches one or two
 * slots on average even with a million mailboxes.
 */
#include "bench/simworld/world.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK (1u << 20)
#define RESOLVE_DEPTH_MAX 8

struct arena_chunk {
  struct arena_chunk *next;
  size_t used, size;
  char data[];
};

struct sim_arena {
  struct arena_chunk *head;
};

uint64_t sim_hash(const char *s, size_t len)
{
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ull;
  }
  return h;
}

struct sim_world *sim_world_new(void)
{
  struct sim_world *world = calloc(1, sizeof(*world));
  if (world == NULL)
    return NULL;
  world->arena = calloc(1, sizeof(*world->arena));
  if (world->arena == NULL) {
    free(world);
    return NULL;
  }
  return world;
}

void sim_world_free(struct sim_world *world)
{
  if (world == NULL)
    return;
  struct arena_chunk *chunk = world->arena->head;
  while (chunk != NULL) {
    struct arena_chunk *next = chunk->next;
    free(chunk);
    chunk = next;
  }
  free(world->arena);
  free(world->hosts);
  free(world->names);
  free(world->domains);
  free(world->mxs);
  free(world->mailboxes);
  free(world->name_index.slots);
  free(world->host_index.slots);
  free(world->mailbox_index.slots);
  free(world->file_text);
  free(world);
}

const char *sim_world_strdup(struct sim_world *world, const char *s, size_t len)
{
  struct arena_chunk *chunk = world->arena->head;
  if (chunk == NULL || chunk->size - chunk->used < len + 1) {
    size_t size = len + 1 > ARENA_CHUNK ? len + 1 : ARENA_CHUNK;
    chunk = malloc(sizeof(*chunk) + size);
    if (chunk == NULL)
      return NULL;
    chunk->next = world->arena->head;
    chunk->used = 0;
    chunk->size = size;
    world->arena->head = chunk;
  }
  char *copy = chunk->data + chunk->used;
  memcpy(copy, s, len);
  copy[len] = '\0';
  chunk->used += len + 1;
  return copy;
}

/* Grow *array (of *cap elements of SIZE bytes) to hold one more element. */
static bool grow(void **array, size_t *cap, size_t count, size_t size)
{
  if (count < *cap)
    return true;
  size_t new_cap = *cap ? *cap * 2 : 64;
  void *bigger = realloc(*array, new_cap * size);
  if (bigger == NULL)
    return false;
  *array = bigger;
  *cap = new_cap;
  return true;
}

static uint64_t name_key(const struct sim_world *world, uint32_t entry)
{
  const char *name = world->names[entry].name;
  return sim_hash(name, strlen(name));
}

static uint64_t host_key(const struct sim_world *world, uint32_t entry)
{
  return (uint64_t)world->hosts[entry].addr * 0x9E3779B97F4A7C15ull;
}

static uint64_t mailbox_hash(uint32_t domain, const char *local, size_t len)
{
  return sim_hash(local, len) ^ ((uint64_t)domain * 0x9E3779B97F4A7C15ull);
}

static uint64_t mailbox_key(const struct sim_world *world, uint32_t entry)
{
  const struct sim_mailbox *mbox = &world->mailboxes[entry];
  return mailbox_hash(mbox->domain, mbox->local, strlen(mbox->local));
}

/* Compare the NUL-terminated CANDIDATE with LEN bytes of S, which may
 * contain NUL bytes when they come from the network. */
static bool equal_n(const char *candidate, const char *s, size_t len)
{
  return strnlen(candidate, len + 1) == len && memcmp(candidate, s, len) == 0;
}

typedef uint64_t (*index_key_fn)(const struct sim_world *, uint32_t);

static void index_put(struct sim_index *index, uint64_t hash, uint32_t entry)
{
  size_t slot = hash & index->mask;
  while (index->slots[slot] != 0)
    slot = (slot + 1) & index->mask;
  index->slots[slot] = entry + 1;
  index->used++;
}

/* Make room for one more entry, rehashing every entry when the table is
 * half full. */
static bool index_reserve(const struct sim_world *world,
                          struct sim_index *index, index_key_fn key)
{
  if (index->slots != NULL && (index->used + 1) * 2 <= index->mask + 1)
    return true;
  size_t size = index->slots ? (index->mask + 1) * 2 : 1024;
  uint32_t *old = index->slots;
  size_t old_size = old ? index->mask + 1 : 0;
  index->slots = calloc(size, sizeof(*index->slots));
  if (index->slots == NULL) {
    index->slots = old;
    return false;
  }
  index->mask = size - 1;
  index->used = 0;
  for (size_t i = 0; i < old_size; i++) {
    if (old[i] != 0)
      index_put(index, key(world, old[i] - 1), old[i] - 1);
  }
  free(old);
  return true;
}

static int32_t name_lookup(const struct sim_world *world, const char *name,
                           size_t len)
{
  const struct sim_index *index = &world->name_index;
  if (index->slots == NULL)
    return -1;
  size_t slot = sim_hash(name, len) & index->mask;
  for (; index->slots[slot] != 0; slot = (slot + 1) & index->mask) {
    const char *candidate = world->names[index->slots[slot] - 1].name;
    if (equal_n(candidate, name, len))
      return (int32_t)(index->slots[slot] - 1);
  }
  return -1;
}

/* Return the entry of NAME, creating an empty one when missing. */
static int32_t name_get(struct sim_world *world, const char *name)
{
  size_t len = strlen(name);
  int32_t found = name_lookup(world, name, len);
  if (found >= 0)
    return found;
  if (!grow((void **)&world->names, &world->name_cap, world->name_count,
            sizeof(*world->names)) ||
      !index_reserve(world, &world->name_index, name_key))
    return -1;
  uint32_t entry = (uint32_t)world->name_count++;
  world->names[entry] = (struct sim_name){.name = name, .domain = -1};
  index_put(&world->name_index, sim_hash(name, len), entry);
  return (int32_t)entry;
}

int32_t sim_world_add_host(struct sim_world *world, uint32_t addr,
                           enum sim_base base, uint16_t mods,
                           enum sim_style style, const char *name)
{
  if (sim_world_find_host(world, addr) != NULL)
    return -1;
  if (!grow((void **)&world->hosts, &world->host_cap, world->host_count,
            sizeof(*world->hosts)) ||
      !index_reserve(world, &world->host_index, host_key))
    return -1;
  uint32_t entry = (uint32_t)world->host_count++;
  world->hosts[entry] = (struct sim_host){
      .addr = addr, .base = base, .style = style, .mods = mods, .name = name};
  index_put(&world->host_index, host_key(world, entry), entry);
  return (int32_t)entry;
}

int32_t sim_world_add_a(struct sim_world *world, const char *name,
                        uint32_t addr)
{
  int32_t entry = name_get(world, name);
  if (entry < 0 || world->names[entry].has_a || world->names[entry].cname)
    return -1;
  world->names[entry].has_a = true;
  world->names[entry].a_addr = addr;
  return entry;
}

int32_t sim_world_add_cname(struct sim_world *world, const char *name,
                            const char *target)
{
  int32_t entry = name_get(world, name);
  struct sim_name *rec = entry >= 0 ? &world->names[entry] : NULL;
  if (rec == NULL || rec->has_a || rec->cname || rec->domain >= 0)
    return -1;
  rec->cname = target;
  return entry;
}

int32_t sim_world_add_domain(struct sim_world *world, const char *name,
                             enum sim_dns_profile dns, enum sim_realm realm)
{
  int32_t entry = name_get(world, name);
  if (entry < 0 || world->names[entry].domain >= 0 || world->names[entry].cname)
    return -1;
  if (!grow((void **)&world->domains, &world->domain_cap, world->domain_count,
            sizeof(*world->domains)))
    return -1;
  uint32_t index = (uint32_t)world->domain_count++;
  world->domains[index] =
      (struct sim_domain){.name = name,
                          .dns = dns,
                          .realm = realm,
                          .mx_first = (uint32_t)world->mx_count,
                          .mbox_first = (uint32_t)world->mailbox_count};
  world->names[entry].domain = (int32_t)index;
  return (int32_t)index;
}

int32_t sim_world_add_mx(struct sim_world *world, uint16_t pref,
                         const char *target)
{
  if (world->domain_count == 0 || !grow((void **)&world->mxs, &world->mx_cap,
                                        world->mx_count, sizeof(*world->mxs)))
    return -1;
  world->mxs[world->mx_count] = (struct sim_mx){pref, target};
  world->domains[world->domain_count - 1].mx_count++;
  return (int32_t)world->mx_count++;
}

int32_t sim_world_add_mailbox(struct sim_world *world, const char *local,
                              enum sim_mbox_state state)
{
  if (world->domain_count == 0 || state == SIM_MBOX_NONE)
    return -1;
  uint32_t domain = (uint32_t)world->domain_count - 1;
  size_t len = strlen(local);
  if (sim_world_find_mailbox(world, (int32_t)domain, local, len) !=
      SIM_MBOX_NONE)
    return -1;
  if (!grow((void **)&world->mailboxes, &world->mailbox_cap,
            world->mailbox_count, sizeof(*world->mailboxes)) ||
      !index_reserve(world, &world->mailbox_index, mailbox_key))
    return -1;
  uint32_t entry = (uint32_t)world->mailbox_count++;
  world->mailboxes[entry] = (struct sim_mailbox){local, domain, state};
  world->domains[domain].mbox_count++;
  index_put(&world->mailbox_index, mailbox_hash(domain, local, len), entry);
  return (int32_t)entry;
}

const struct sim_name *sim_world_find_name(const struct sim_world *world,
                                           const char *name, size_t len)
{
  int32_t entry = name_lookup(world, name, len);
  return entry >= 0 ? &world->names[entry] : NULL;
}

struct sim_host *sim_world_find_host(const struct sim_world *world,
                                     uint32_t addr)
{
  const struct sim_index *index = &world->host_index;
  if (index->slots == NULL)
    return NULL;
  uint64_t hash = (uint64_t)addr * 0x9E3779B97F4A7C15ull;
  for (size_t slot = hash & index->mask; index->slots[slot] != 0;
       slot = (slot + 1) & index->mask) {
    struct sim_host *host = &world->hosts[index->slots[slot] - 1];
    if (host->addr == addr)
      return host;
  }
  return NULL;
}

int32_t sim_world_find_domain(const struct sim_world *world, const char *name,
                              size_t len)
{
  const struct sim_name *rec = sim_world_find_name(world, name, len);
  return rec != NULL ? rec->domain : -1;
}

enum sim_mbox_state sim_world_find_mailbox(const struct sim_world *world,
                                           int32_t domain, const char *local,
                                           size_t len)
{
  const struct sim_index *index = &world->mailbox_index;
  if (index->slots == NULL || domain < 0)
    return SIM_MBOX_NONE;
  uint64_t hash = mailbox_hash((uint32_t)domain, local, len);
  for (size_t slot = hash & index->mask; index->slots[slot] != 0;
       slot = (slot + 1) & index->mask) {
    const struct sim_mailbox *mbox = &world->mailboxes[index->slots[slot] - 1];
    if (mbox->domain == (uint32_t)domain && equal_n(mbox->local, local, len))
      return (enum sim_mbox_state)mbox->state;
  }
  return SIM_MBOX_NONE;
}

const struct sim_name *sim_world_resolve(const struct sim_world *world,
                                         const char *name)
{
  for (int depth = 0; depth < RESOLVE_DEPTH_MAX; depth++) {
    const struct sim_name *rec = sim_world_find_name(world, name, strlen(name));
    if (rec == NULL)
      return NULL;
    if (rec->cname == NULL)
      return rec->has_a ? rec : NULL;
    name = rec->cname;
  }
  return NULL;
}
