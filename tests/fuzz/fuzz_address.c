/* Fuzz target for the address parser and normaliser.
 *
 * Any bytes go to lc_address_parse(). For a valid result the target checks
 * that the parts agree with the normalized string and that the string
 * parses again to itself: normalisation is idempotent. The domain alone
 * must pass lc_address_domain() unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parts(const struct lc_address *addr)
{
  if (addr->len != strlen(addr->normalized) || addr->len > LC_ADDR_PATH_MAX)
    abort();
  if (addr->local != addr->normalized || addr->local_len == 0 ||
      addr->local_len > LC_ADDR_LOCAL_MAX)
    abort();
  if (addr->normalized[addr->local_len] != '@' ||
      addr->domain != addr->normalized + addr->local_len + 1 ||
      addr->domain_len != strlen(addr->domain) ||
      addr->local_len + 1 + addr->domain_len != addr->len)
    abort();
}

static void check_reparse(const struct lc_address *addr)
{
  struct lc_address again;
  char domain[LC_ADDR_DOMAIN_MAX + 1];
  size_t domain_len = 0;
  unsigned flags = 0;

  if (lc_address_parse(addr->normalized, addr->len, &again) != LC_ADDR_OK)
    abort();
  if (strcmp(again.normalized, addr->normalized) != 0)
    abort();
  /* The IDN flag records a conversion, which the A-label form no longer
   * needs; every other flag describes the address itself. */
  if ((again.flags & ~(unsigned)LC_ADDR_IDN) !=
      (addr->flags & ~(unsigned)LC_ADDR_IDN))
    abort();
  check_parts(&again);
  if (lc_address_domain(addr->domain, addr->domain_len, domain, &domain_len,
                        &flags) != NULL)
    abort();
  if (domain_len != addr->domain_len ||
      memcmp(domain, addr->domain, domain_len) != 0)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct lc_address addr;
  enum lc_addr_result result;

  result = lc_address_parse((const char *)data, size, &addr);
  if (result != addr.result || addr.reason == NULL)
    abort();
  if (result != LC_ADDR_OK) {
    if (addr.normalized[0] != '\0' || addr.flags != 0)
      abort();
    return 0;
  }
  check_parts(&addr);
  check_reparse(&addr);
  return 0;
}
