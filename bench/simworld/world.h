/* World model of simworld: hosts, DNS names, domains and mailboxes.
 *
 * A world is built either by the generator (sim_world_add_*) or by loading
 * the text file DIR/world (sim_world_load). Servers only read it, except for
 * the per-host counters. Strings live in an arena owned by the world, so
 * every `const char *` below stays valid until sim_world_free().
 *
 * An MX host is one loopback address with one SMTP behaviour. Many DNS names
 * (per-domain MX names, CNAME aliases) may point at the same address, the
 * way hosting clusters and cloud providers share servers.
 */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/status.h"

/* How the DNS server treats a domain, and how the generator built its
 * records. Only the error profiles change what the server sends; the others
 * describe the records listed in the world file. */
enum sim_dns_profile {
  SIM_DNS_MX,           /* MX records to working hosts */
  SIM_DNS_MX_EQUAL,     /* several MX with the same preference */
  SIM_DNS_DEAD_PRIMARY, /* lowest preference MX refuses connections */
  SIM_DNS_MX_CNAME,     /* MX target is a CNAME to the real host name */
  SIM_DNS_IMPLICIT,     /* no MX, A record on the domain itself */
  SIM_DNS_NULL_MX,      /* single MX "0 ." (RFC 7505) */
  SIM_DNS_MX_NXTARGET,  /* MX target name does not exist */
  SIM_DNS_NXDOMAIN,     /* every query for the domain gets NXDOMAIN */
  SIM_DNS_SERVFAIL,
  SIM_DNS_REFUSED,
  SIM_DNS_SILENT,      /* queries for the domain are never answered */
  SIM_DNS_BIG,         /* MX answer over 512 bytes, truncated over UDP */
  SIM_DNS_UNREACHABLE, /* MX target resolves to 0.0.0.0 */
  SIM_DNS_COUNT
};

/* Base SMTP behaviour of a host. */
enum sim_base {
  SIM_BASE_NORMAL,      /* 250 for mailboxes, 550 5.1.1 for others */
  SIM_BASE_CATCHALL,    /* 250 for every recipient */
  SIM_BASE_GW_REJECT,   /* gateway: same 550 for every recipient */
  SIM_BASE_GW_VALIDATE, /* gateway: 250 for mailboxes, 550 for others */
  SIM_BASE_MS_DBEB,     /* 550 5.4.1 Access denied for unknown users */
  SIM_BASE_MS_ACCEPT,   /* Microsoft edge accepting every recipient */
  SIM_BASE_POLICY,      /* 550 5.7.1 blocklist rejection at RCPT */
  SIM_BASE_BANNER554,   /* 554 banner */
  SIM_BASE_NOPTR,       /* 550 5.7.25 no PTR record at MAIL FROM */
  SIM_BASE_REFUSED,     /* no listener: connection refused */
  SIM_BASE_SILENT,      /* accepts TCP, never sends a banner */
  SIM_BASE_COUNT
};

/* Modifiers on top of the base behaviour (bit set). */
enum sim_mod {
  SIM_MOD_GREYLIST = 1 << 0,   /* 450 4.7.1 until --greylist-s passed */
  SIM_MOD_CONNLIMIT = 1 << 1,  /* 421 banner above --conn-limit */
  SIM_MOD_RCPTLIMIT = 1 << 2,  /* 452 4.5.3 after --rcpt-limit RCPTs */
  SIM_MOD_TARPIT = 1 << 3,     /* every reply delayed by --tarpit-ms */
  SIM_MOD_DISCONNECT = 1 << 4, /* close right after a 5xx RCPT reply */
  SIM_MOD_STARTTLS = 1 << 5,   /* 530 on MAIL until STARTTLS */
  SIM_MOD_MULTILINE = 1 << 6,  /* banner and EHLO in many lines */
  SIM_MOD_LFONLY = 1 << 7,     /* replies end in LF, not CRLF */
  SIM_MOD_FULL452 = 1 << 8,    /* full mailbox as 452 4.2.2, not 552 */
  /* Another SMTP server (a real Postfix, say) listens on the host's
   * address with simworld's SMTP port, so simworld binds no listener
   * there. The ground truth still follows the base behaviour. */
  SIM_MOD_EXTERNAL = 1 << 9,
  SIM_MOD_COUNT = 10
};

/* Reply texts and MX naming of the operator behind a host. */
enum sim_style {
  SIM_STYLE_GENERIC,
  SIM_STYLE_GOOGLE,
  SIM_STYLE_MICROSOFT,
  SIM_STYLE_YAHOO,
  SIM_STYLE_MIMECAST,
  SIM_STYLE_PROOFPOINT,
  SIM_STYLE_BARRACUDA,
  SIM_STYLE_COUNT
};

/* Identity realm of a domain, as the HTTPS endpoints report it. */
enum sim_realm {
  SIM_REALM_NONE,        /* NameSpaceType Unknown */
  SIM_REALM_MANAGED,     /* truthful tenant */
  SIM_REALM_MANAGED_ALL, /* tenant reporting every name as existing */
  SIM_REALM_FEDERATED_OKTA,
  SIM_REALM_FEDERATED_ADFS,
  SIM_REALM_COUNT
};

enum sim_mbox_state {
  SIM_MBOX_NONE, /* no such mailbox */
  SIM_MBOX_OK,
  SIM_MBOX_FULL,
  SIM_MBOX_DISABLED
};

/* Counters of one MX host, written by the stats module. */
struct sim_host_stats {
  uint64_t connections;
  uint64_t sessions; /* connections that sent EHLO or HELO */
  uint64_t rcpts;
  uint64_t data;
  uint64_t busy_421;        /* 421 banners above --conn-limit */
  uint64_t greylisted;      /* RCPTs deferred by greylisting */
  uint64_t greylist_passed; /* client+recipient pairs that passed
                               greylisting after a deferral, once each */
  uint32_t concurrent;
  uint32_t peak_concurrent;
};

struct sim_host {
  uint32_t addr;    /* IPv4, host byte order, inside 127.0.0.0/8 */
  uint8_t base;     /* enum sim_base */
  uint8_t style;    /* enum sim_style */
  uint16_t mods;    /* enum sim_mod bits */
  const char *name; /* canonical name, also an A record */
  struct sim_host_stats stats;
};

/* One DNS owner name. A domain name may also carry an A record (implicit
 * MX); a CNAME name carries nothing else. */
struct sim_name {
  const char *name; /* lower case, no trailing dot */
  int32_t domain;   /* index into domains, or -1 */
  bool has_a;
  uint32_t a_addr;   /* host byte order; 0 means 0.0.0.0 */
  const char *cname; /* target name, or NULL */
};

struct sim_mx {
  uint16_t pref;
  const char *target; /* "." for a null MX */
};

struct sim_domain {
  const char *name;
  uint8_t dns;   /* enum sim_dns_profile */
  uint8_t realm; /* enum sim_realm */
  uint32_t mx_first, mx_count;
  uint32_t mbox_first, mbox_count;
};

struct sim_mailbox {
  const char *local; /* lower case */
  uint32_t domain;
  uint8_t state; /* enum sim_mbox_state, never SIM_MBOX_NONE */
};

struct sim_arena;

/* Open-addressing index of uint32 entry numbers; 0 marks a free slot. */
struct sim_index {
  uint32_t *slots; /* entry number + 1 */
  size_t mask;
  size_t used;
};

struct sim_world {
  struct sim_arena *arena;
  struct sim_host *hosts;
  size_t host_count, host_cap;
  struct sim_name *names;
  size_t name_count, name_cap;
  struct sim_domain *domains;
  size_t domain_count, domain_cap;
  struct sim_mx *mxs;
  size_t mx_count, mx_cap;
  struct sim_mailbox *mailboxes;
  size_t mailbox_count, mailbox_cap;
  struct sim_index name_index;
  struct sim_index host_index;
  struct sim_index mailbox_index;
  char *file_text; /* loaded file, strings point into it */
};

/* Create an empty world. Returns NULL when out of memory. */
struct sim_world *sim_world_new(void);
/* Free WORLD and every string it owns. Accepts NULL. */
void sim_world_free(struct sim_world *world);

/* Copy LEN bytes of S into the world's arena, NUL-terminated. Returns NULL
 * when out of memory. */
const char *sim_world_strdup(struct sim_world *world, const char *s,
                             size_t len);

/* Builders. Strings must already belong to the world (sim_world_strdup)
 * or outlive it. Each returns the new entry's index, or -1 on a duplicate
 * or when out of memory. A domain's MX records and mailboxes must be added
 * right after the domain and before the next one. */
int32_t sim_world_add_host(struct sim_world *world, uint32_t addr,
                           enum sim_base base, uint16_t mods,
                           enum sim_style style, const char *name);
int32_t sim_world_add_a(struct sim_world *world, const char *name,
                        uint32_t addr);
int32_t sim_world_add_cname(struct sim_world *world, const char *name,
                            const char *target);
int32_t sim_world_add_domain(struct sim_world *world, const char *name,
                             enum sim_dns_profile dns, enum sim_realm realm);
int32_t sim_world_add_mx(struct sim_world *world, uint16_t pref,
                         const char *target);
int32_t sim_world_add_mailbox(struct sim_world *world, const char *local,
                              enum sim_mbox_state state);

/* Lookups. NAME need not be NUL-terminated and must be lower case. */
const struct sim_name *sim_world_find_name(const struct sim_world *world,
                                           const char *name, size_t len);
struct sim_host *sim_world_find_host(const struct sim_world *world,
                                     uint32_t addr);
/* Return the domain index of NAME, or -1. */
int32_t sim_world_find_domain(const struct sim_world *world, const char *name,
                              size_t len);
/* Return the state of LOCAL (lower case) on DOMAIN, SIM_MBOX_NONE when the
 * mailbox does not exist. */
enum sim_mbox_state sim_world_find_mailbox(const struct sim_world *world,
                                           int32_t domain, const char *local,
                                           size_t len);

/* Write WORLD in the text format to OUT. Returns LC_ERR_IO on a write
 * error. */
enum lc_status sim_world_write(const struct sim_world *world, FILE *out);
/* Load the world file PATH into a new world stored in *out. On failure
 * prints the file, line and problem to stderr and returns LC_ERR_IO,
 * LC_ERR_FORMAT or LC_ERR_NOMEM. */
enum lc_status sim_world_load(const char *path, struct sim_world **out);

/* Follow CNAMEs from NAME (at most 8) and return the A record owner, or
 * NULL when the chain ends in a missing name or has no A record. */
const struct sim_name *sim_world_resolve(const struct sim_world *world,
                                         const char *name);

/* 64-bit FNV-1a of LEN bytes. */
uint64_t sim_hash(const char *s, size_t len);

#endif
