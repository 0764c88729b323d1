// What the outbox's filesystem alone costs to publish a burst of small files, with no
// sync engine around it: the floor under claude-init's burst latency (bench/README.md,
// "publish floor"). Writes N files of SIZE bytes into DIR by one strategy and prints
// "wall_ms cpu_ms" for the whole burst (all files visible and, where the strategy syncs,
// durable). Strategies:
//   rename        named temp, write, rename (no sync: what rsync does; not durable)
//   rename-sync   named temp, write; one syncfs; renames (claude-init before 0.2)
//   tmpfile-sync  O_TMPFILE, write; one syncfs; linkat (claude-init)
//   tmpfile-sfr   as tmpfile-sync, with sync_file_range(WRITE) after each write
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double wall_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double cpu_ms(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e3;
}

static void die(const char* what, const char* name) {
  perror(what);
  fprintf(stderr, "publish_floor: %s %s failed\n", what, name);
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: publish_floor DIR STRATEGY N SIZE\n");
    return 2;
  }
  const char* strategy = argv[2];
  const int n = atoi(argv[3]);
  const size_t size = (size_t)atol(argv[4]);
  const int named = strncmp(strategy, "rename", 6) == 0;
  const int sync = strstr(strategy, "sync") != NULL || strstr(strategy, "sfr") != NULL;
  const int sfr = strstr(strategy, "sfr") != NULL;
  int dir = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) die("open", argv[1]);
  char* data = malloc(size);
  memset(data, 'p', size);
  int* fds = calloc((size_t)n, sizeof(int));
  char name[64], temp[96], proc[64];
  const double w0 = wall_ms(), c0 = cpu_ms();
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof name, "t%05d.json", i);
    snprintf(temp, sizeof temp, ".%s.claude-init-tmp.0123456789ab", name);
    int fd = named ? openat(dir, temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)
                   : openat(dir, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) die("create", named ? temp : "(unnamed)");
    if (write(fd, data, size) != (ssize_t)size) die("write", name);
    if (sfr) sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    if (!sync) {  // publish at once, as a copier without a durability barrier does
      if (renameat(dir, temp, dir, name) != 0) die("rename", name);
      close(fd);
      fd = -1;
    }
    fds[i] = fd;
  }
  if (sync && syncfs(dir) != 0) die("syncfs", argv[1]);
  for (int i = 0; sync && i < n; i++) {
    snprintf(name, sizeof name, "t%05d.json", i);
    snprintf(temp, sizeof temp, ".%s.claude-init-tmp.0123456789ab", name);
    if (named) {
      if (renameat(dir, temp, dir, name) != 0) die("rename", name);
    } else {
      snprintf(proc, sizeof proc, "/proc/self/fd/%d", fds[i]);
      if (linkat(AT_FDCWD, proc, dir, name, AT_SYMLINK_FOLLOW) != 0) die("linkat", name);
    }
    close(fds[i]);
  }
  printf("%.2f %.2f\n", wall_ms() - w0, cpu_ms() - c0);
  return 0;
}
