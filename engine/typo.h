/* Typo suggestions for the domain of an address.
 *
 * A domain gets a suggestion only when it is not a known real domain (see
 * lc_lists_is_known()), and then when either
 *  - its top-level domain is a common mistyping of com, net or org ("con",
 *    "cmo", "nte", "ogr", ...) and the domain with the fixed TLD is known
 *    or close to a popular domain. Mistypings that are real ccTLDs ("co",
 *    "cm", "om", "ne") count only when the fixed domain is known, so
 *    "yahoo.co" becomes "yahoo.com" but "example.co" stays; or
 *  - it ends in the public suffix of a popular domain, and the label
 *    before that suffix is within a small Damerau-Levenshtein distance
 *    (optimal string alignment) of the popular domain's name. So
 *    "gmial.com" becomes "gmail.com", but "hotmail.co.th" is not changed
 *    to "hotmail.co.uk".
 * The distance allowed depends on the shorter of the two names: none below
 * 4 characters, one missing character at 4 ("gmal"), 1 edit from 5 to 9
 * and 2 from 10. Below 7 characters a substitution must also be between
 * neighbouring keys on a QWERTY keyboard, because short names have many
 * real neighbours ("never.com" is not a typo of "naver.com"). Ties go to
 * the domain listed first in data/popular.txt.
 *
 * Speed: one hash walk settles known domains. For the other domains the
 * popular domains are grouped by public suffix and name length. A
 * character-set filter runs before the edit distance, so a query computes
 * the distance for a handful of candidates at most.
 */
#ifndef LC_TYPO_H
#define LC_TYPO_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/address.h"
#include "engine/lists.h"
#include "engine/status.h"

struct lc_typo;

/* Build the suggestion index from the popular list of LISTS, which must
 * outlive the result. On LC_OK stores a new object in *OUT for
 * lc_typo_free(). */
enum lc_status lc_typo_new(const struct lc_lists *lists, struct lc_typo **out);

/* Free TYPO. Accepts NULL. */
void lc_typo_free(struct lc_typo *typo);

/* Suggest a correction for DOMAIN (LEN bytes, lower case, A-labels as in
 * struct lc_address). When there is one, returns true and writes the
 * corrected domain with a NUL to OUT, which has SIZE bytes (and
 * LC_ADDR_DOMAIN_MAX + 1 always suffices). Otherwise returns false and
 * leaves OUT alone. Allocates nothing. */
bool lc_typo_suggest_domain(const struct lc_typo *typo, const char *domain,
                            size_t len, char *out, size_t size);

/* Suggest a corrected address for ADDR, which must be a result of
 * lc_address_parse(). Returns true and writes "local@fixed-domain" with a
 * NUL to OUT (SIZE bytes; LC_ADDR_PATH_MAX + 1 always suffices) when there
 * is one. Returns false for invalid addresses, address literals and
 * corrections that would not fit the RFC 5321 length limits. */
bool lc_typo_suggest(const struct lc_typo *typo, const struct lc_address *addr,
                     char *out, size_t size);

#endif
