/* simworld: the simulated mail world listclean is tested against.
 *
 *   simworld gen   --out DIR ...    write a world, input.csv and truth.csv
 *   simworld serve --world DIR ...  serve DNS, SMTP and HTTPS on loopback
 *   simworld dump  --world DIR      load a world and write it to stdout
 *   simworld bench --smtp ADDR:PORT measure SMTP replies/s on loopback
 *
 * See bench/simworld/README.md for the file formats and the profiles.
 */
#include "bench/simworld/bench.h"
#include "bench/simworld/gen.h"
#include "bench/simworld/serve.h"
#include "bench/simworld/world.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
  fprintf(out, "usage: simworld gen --out DIR [options]\n"
               "       simworld serve --world DIR [options]\n"
               "       simworld dump --world DIR\n"
               "       simworld bench --smtp ADDR:PORT --rcpt ADDRESS\n"
               "Run a command with --help for its options.\n");
}

/* Load DIR/world and write it back to stdout in the same format; the
 * output equals the file when the loader and writer agree. */
static int dump_main(int argc, char **argv)
{
  if (argc != 3 || strcmp(argv[1], "--world") != 0) {
    fprintf(stderr, "usage: simworld dump --world DIR\n");
    return 2;
  }
  char path[4096];
  struct sim_world *world;
  snprintf(path, sizeof(path), "%s/world", argv[2]);
  if (sim_world_load(path, &world) != LC_OK)
    return 1;
  enum lc_status status = sim_world_write(world, stdout);
  sim_world_free(world);
  return status == LC_OK && fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *command = argv[1];
  if (strcmp(command, "gen") == 0)
    return sim_gen_main(argc - 1, argv + 1);
  if (strcmp(command, "serve") == 0)
    return sim_serve_main(argc - 1, argv + 1);
  if (strcmp(command, "bench") == 0)
    return sim_bench_main(argc - 1, argv + 1);
  if (strcmp(command, "dump") == 0)
    return dump_main(argc - 1, argv + 1);
  if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0) {
    usage(stdout);
    return 0;
  }
  fprintf(stderr, "simworld: unknown command \"%s\"\n", command);
  usage(stderr);
  return 2;
}
