/* Reading the answer section of a DNS message.
 *
 * c-ares 1.18 parses MX, A and AAAA records but does not tell whether an
 * answer that has none of them ended in an unresolved CNAME. This walker
 * reads owner, type and, for CNAME records, the target of each answer
 * record, so that the caller can follow the chain. Names are decoded with
 * ares_expand_name(), which handles compression and rejects loops.
 */
#include "engine/dns_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HEADER_SIZE 12
/* Answer records examined; a larger RRset is cut, which is safe because
 * only the CNAME chain and the presence of one record matter here. */
#define ANSWER_RR_MAX 256
/* CNAME links followed inside one message. */
#define CHAIN_LINKS_MAX 16

struct answer_rr {
  char *owner;
  int type;
  char *target; /* CNAME only */
};

static unsigned get16(const unsigned char *p)
{
  return ((unsigned)p[0] << 8) | p[1];
}

/* Decode the name at *POS into *NAME (may be NULL to skip) and advance
 * *POS past it. */
static bool read_name(const unsigned char *abuf, int alen,
                      const unsigned char **pos, char **name)
{
  char *decoded = NULL;
  long enclen = 0;

  if (ares_expand_name(*pos, abuf, alen, &decoded, &enclen) != ARES_SUCCESS)
    return false;
  *pos += enclen;
  if (name != NULL)
    *name = decoded;
  else
    ares_free_string(decoded);
  return true;
}

/* Read one answer record at *POS into RR; advance *POS past its data. */
static bool read_rr(const unsigned char *abuf, int alen,
                    const unsigned char **pos, struct answer_rr *rr)
{
  const unsigned char *end = abuf + alen;
  unsigned rdlength;

  if (!read_name(abuf, alen, pos, &rr->owner))
    return false;
  if (end - *pos < 10)
    return false;
  rr->type = (int)get16(*pos);
  rdlength = get16(*pos + 8);
  *pos += 10;
  if ((unsigned)(end - *pos) < rdlength)
    return false;
  if (rr->type == LC_DNS_TYPE_CNAME) {
    const unsigned char *rdata = *pos;
    if (!read_name(abuf, alen, &rdata, &rr->target))
      return false;
  }
  *pos += rdlength;
  return true;
}

static void free_rrs(struct answer_rr *rrs, size_t count)
{
  for (size_t i = 0; i < count; i++) {
    ares_free_string(rrs[i].owner);
    ares_free_string(rrs[i].target);
  }
}

/* Read up to ANSWER_RR_MAX answer records into RRS. */
static bool read_answers(const unsigned char *abuf, int alen,
                         struct answer_rr *rrs, size_t *count)
{
  const unsigned char *pos = abuf + HEADER_SIZE;
  unsigned qdcount, ancount;

  *count = 0;
  if (alen < HEADER_SIZE)
    return false;
  qdcount = get16(abuf + 4);
  ancount = get16(abuf + 6);
  for (unsigned i = 0; i < qdcount; i++) {
    if (!read_name(abuf, alen, &pos, NULL) || abuf + alen - pos < 4)
      return false;
    pos += 4;
  }
  for (unsigned i = 0; i < ancount && *count < ANSWER_RR_MAX; i++) {
    struct answer_rr *rr = &rrs[*count];
    memset(rr, 0, sizeof(*rr));
    bool ok = read_rr(abuf, alen, &pos, rr);
    (*count)++;
    if (!ok)
      return false;
  }
  return true;
}

static const char *follow_chain(const struct answer_rr *rrs, size_t count,
                                const char *name)
{
  for (int link = 0; link < CHAIN_LINKS_MAX; link++) {
    const char *next = NULL;
    for (size_t i = 0; i < count && next == NULL; i++) {
      if (rrs[i].type == LC_DNS_TYPE_CNAME &&
          strcasecmp(rrs[i].owner, name) == 0)
        next = rrs[i].target;
    }
    if (next == NULL)
      break;
    name = next;
  }
  return name;
}

enum lc_status lc_dns_msg_chain(const unsigned char *abuf, int alen,
                                const char *qname, int qtype, char *end,
                                size_t size, bool *has_type)
{
  struct answer_rr rrs[ANSWER_RR_MAX];
  size_t count = 0;
  enum lc_status status = LC_ERR_FORMAT;
  const char *last;
  bool found = false;

  if (!read_answers(abuf, alen, rrs, &count))
    goto done;
  last = follow_chain(rrs, count, qname);
  for (size_t i = 0; i < count && !found; i++)
    found = rrs[i].type == qtype && strcasecmp(rrs[i].owner, last) == 0;
  snprintf(end, size, "%s", last);
  *has_type = found;
  status = LC_OK;
done:
  free_rrs(rrs, count);
  return status;
}
