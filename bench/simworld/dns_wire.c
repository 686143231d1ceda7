/* DNS messages: parse a query and build the authoritative answer.
 *
 * The server answers for every name as if it held every zone of the world.
 * It implements no EDNS: an OPT record in the query is ignored and UDP
 * answers stay within 512 bytes, so a long answer gets the TC bit and the
 * client retries over TCP (RFC 1035 4.2.1, RFC 6891 7). Negative answers
 * carry no SOA record.
 */
#include "bench/simworld/dns.h"
#include "bench/simworld/profile.h"

#include <string.h>

#define TYPE_A 1
#define TYPE_CNAME 5
#define TYPE_MX 15
#define TYPE_ANY 255
#define CLASS_IN 1
#define RCODE_FORMERR 1
#define RCODE_SERVFAIL 2
#define RCODE_NXDOMAIN 3
#define RCODE_NOTIMP 4
#define RCODE_REFUSED 5
#define RCODE_DROP (-1)
#define TTL 300
#define HEADER_LEN 12
#define NAME_MAX_WIRE 255
#define LABEL_MAX 63
#define CNAME_DEPTH_MAX 8

struct question {
  char name[NAME_MAX_WIRE + 1]; /* lower case, dotted, no trailing dot */
  size_t name_len;
  uint16_t qtype, qclass;
  size_t end; /* offset just past the question in the query */
};

struct writer {
  uint8_t *buf;
  size_t cap, len;
  bool overflow;
  uint16_t answers;
};

static void put8(struct writer *w, unsigned value)
{
  if (w->len >= w->cap) {
    w->overflow = true;
    return;
  }
  w->buf[w->len++] = (uint8_t)value;
}

static void put16(struct writer *w, unsigned value)
{
  put8(w, value >> 8);
  put8(w, value & 0xff);
}

static void put32(struct writer *w, uint32_t value)
{
  put16(w, value >> 16);
  put16(w, value & 0xffff);
}

/* Write NAME ("a.b.c", or "." for the root) without compression. */
static void put_name(struct writer *w, const char *name)
{
  if (strcmp(name, ".") != 0) {
    while (*name != '\0') {
      size_t label = strcspn(name, ".");
      put8(w, (unsigned)label);
      for (size_t i = 0; i < label; i++)
        put8(w, (unsigned char)name[i]);
      name += label;
      if (*name == '.')
        name++;
    }
  }
  put8(w, 0);
}

/* Start a record owned by the name at OWNER; returns the offset of its
 * RDLENGTH field, filled in by end_record(). */
static size_t begin_record(struct writer *w, size_t owner, unsigned type)
{
  put16(w, 0xC000 | (unsigned)owner);
  put16(w, type);
  put16(w, CLASS_IN);
  put32(w, TTL);
  size_t rdlength = w->len;
  put16(w, 0);
  return rdlength;
}

static void end_record(struct writer *w, size_t rdlength)
{
  if (w->overflow)
    return;
  size_t size = w->len - rdlength - 2;
  w->buf[rdlength] = (uint8_t)(size >> 8);
  w->buf[rdlength + 1] = (uint8_t)(size & 0xff);
  w->answers++;
}

static int parse_question(const uint8_t *query, size_t len, struct question *q)
{
  size_t pos = HEADER_LEN, out = 0;
  for (;;) {
    if (pos >= len)
      return -1;
    size_t label = query[pos++];
    if (label == 0)
      break;
    /* Compression pointers and extended label types have no place in a
     * question. */
    if (label > LABEL_MAX || pos + label > len ||
        out + label + 1 > NAME_MAX_WIRE)
      return -1;
    if (out > 0)
      q->name[out++] = '.';
    for (size_t i = 0; i < label; i++) {
      uint8_t c = query[pos++];
      if (c == '.' || c == 0)
        return -1;
      q->name[out++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
  }
  if (pos + 4 > len)
    return -1;
  q->name[out] = '\0';
  q->name_len = out;
  q->qtype = (uint16_t)(query[pos] << 8 | query[pos + 1]);
  q->qclass = (uint16_t)(query[pos + 2] << 8 | query[pos + 3]);
  q->end = pos + 4;
  return 0;
}

/* Return the error profile of the closest enclosing world domain of NAME,
 * or SIM_DNS_MX when its servers work. */
static enum sim_dns_profile zone_profile(const struct sim_world *world,
                                         const char *name)
{
  for (const char *suffix = name; suffix != NULL;) {
    int32_t domain = sim_world_find_domain(world, suffix, strlen(suffix));
    if (domain >= 0)
      return (enum sim_dns_profile)world->domains[domain].dns;
    suffix = strchr(suffix, '.');
    if (suffix != NULL)
      suffix++;
  }
  return SIM_DNS_MX;
}

static void put_mx_records(struct writer *w, const struct sim_world *world,
                           const struct sim_domain *domain, size_t owner)
{
  for (uint32_t i = 0; i < domain->mx_count; i++) {
    const struct sim_mx *mx = &world->mxs[domain->mx_first + i];
    size_t rdlength = begin_record(w, owner, TYPE_MX);
    put16(w, mx->pref);
    put_name(w, mx->target);
    end_record(w, rdlength);
  }
}

/* Add the records of NAME for QTYPE, following CNAMEs. Returns the rcode. */
static int put_answers(struct writer *w, const struct sim_world *world,
                       const char *name, unsigned qtype)
{
  size_t owner = HEADER_LEN;
  for (int depth = 0; depth < CNAME_DEPTH_MAX; depth++) {
    const struct sim_name *rec = sim_world_find_name(world, name, strlen(name));
    if (rec == NULL)
      return name[0] == '\0' ? 0 : RCODE_NXDOMAIN;
    if (rec->cname != NULL) {
      size_t rdlength = begin_record(w, owner, TYPE_CNAME);
      owner = w->len;
      put_name(w, rec->cname);
      end_record(w, rdlength);
      if (qtype == TYPE_CNAME || qtype == TYPE_ANY)
        return 0;
      name = rec->cname;
      continue;
    }
    if ((qtype == TYPE_MX || qtype == TYPE_ANY) && rec->domain >= 0)
      put_mx_records(w, world, &world->domains[rec->domain], owner);
    if ((qtype == TYPE_A || qtype == TYPE_ANY) && rec->has_a) {
      size_t rdlength = begin_record(w, owner, TYPE_A);
      put32(w, rec->a_addr);
      end_record(w, rdlength);
    }
    return 0;
  }
  return RCODE_SERVFAIL;
}

static int resolve(struct writer *w, const struct sim_world *world,
                   const struct question *q)
{
  if (q->qclass != CLASS_IN && q->qclass != TYPE_ANY)
    return RCODE_REFUSED;
  switch (zone_profile(world, q->name)) {
  case SIM_DNS_NXDOMAIN:
    return RCODE_NXDOMAIN;
  case SIM_DNS_SERVFAIL:
    return RCODE_SERVFAIL;
  case SIM_DNS_REFUSED:
    return RCODE_REFUSED;
  case SIM_DNS_SILENT:
    return RCODE_DROP;
  default:
    return put_answers(w, world, q->name, q->qtype);
  }
}

static void set_counts(uint8_t *out, unsigned qd, unsigned an)
{
  memset(out + 4, 0, 8);
  out[5] = (uint8_t)qd;
  out[6] = (uint8_t)(an >> 8);
  out[7] = (uint8_t)(an & 0xff);
}

size_t sim_dns_answer(const struct sim_world *world, const uint8_t *query,
                      size_t len, uint8_t *out, size_t cap, size_t limit)
{
  if (len < HEADER_LEN || cap < SIM_DNS_UDP_MAX || (query[2] & 0x80))
    return 0;
  unsigned opcode = (query[2] >> 3) & 0x0f;
  out[0] = query[0];
  out[1] = query[1];
  /* QR and AA set, opcode and RD copied, RA clear. */
  out[2] = (uint8_t)(0x84 | (query[2] & 0x79));
  out[3] = 0;
  set_counts(out, 0, 0);
  struct question q;
  unsigned qdcount = (unsigned)(query[4] << 8 | query[5]);
  if (opcode != 0) {
    out[3] = RCODE_NOTIMP;
    return HEADER_LEN;
  }
  if (qdcount != 1 || parse_question(query, len, &q) != 0 ||
      q.end - HEADER_LEN > cap - HEADER_LEN) {
    out[3] = RCODE_FORMERR;
    return HEADER_LEN;
  }
  size_t question_len = q.end - HEADER_LEN;
  memcpy(out + HEADER_LEN, query + HEADER_LEN, question_len);
  struct writer w = {out, cap, q.end, false, 0};
  int rcode = resolve(&w, world, &q);
  if (rcode == RCODE_DROP)
    return 0;
  if (w.overflow || w.len > limit) {
    out[2] |= 0x02; /* TC */
    set_counts(out, 1, 0);
    out[3] = (uint8_t)rcode;
    return q.end;
  }
  set_counts(out, 1, w.answers);
  out[3] = (uint8_t)rcode;
  return w.len;
}
