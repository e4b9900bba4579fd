/*
 * The disk tools' client: `viridian vhd convert` through a resident JVM of the same user (VhdServer), so a short
 * conversion does not pay a JVM's start (0.1-0.2 s, most of a 1 GiB conversion). The launcher runs it as
 *
 *   viridian-vhd-client [--sources ROOT JAR] DIR N SERVER-CMD... M DIRECT-CMD... -- ARGS...
 *
 * With --sources this first does the launcher's "sources changed since the build?" check (any *.java, pom.xml, *.c,
 * *.S, *.h, Makefile or resource under ROOT, outside ROOT/.git and the modules' target folders, newer than JAR): a
 * `find` run from the launcher cost 30-40 ms of a 0.2 s conversion here, a walk in this process a few. Sources newer:
 * ROOT/viridian is exec'd again with VIRIDIAN_BUILD_CHECK=1 and the command (it builds, then comes back here).
 * (SERVER-CMD is started with the socket's path as one more argument.)
 * DIR is the user's private directory for the socket (made 0700 here, refused if anyone else owns it or can enter
 * it); the socket's name hashes what the server's process must share with this one for a conversion to come out the
 * same: user, group, supplementary groups, umask and the server's command line (its build). No server there: SERVER-CMD (N words) is started detached and
 * this waits for its socket. Anything the server cannot serve (it says so), a directory that is not safe, or a server
 * that does not come up: DIRECT-CMD (M words) + ARGS is exec'd, the command as it ran before the server existed.
 *
 * Wire (little-endian): request "VVS1", u32 count, count x (u32 length, bytes): cwd, LC_ALL, LC_MESSAGES, LANG, then
 * the command's arguments. Replies are frames: u8 kind, u32 length, bytes; 'O' stdout bytes, 'E' stderr bytes,
 * 'X' the exit status (u32), 'R' "run it yourself" (why, for the server's log only). Closing the socket (this process
 * killed, ^C) cancels the command on the server.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char **direct_cmd; /* DIRECT-CMD followed by ARGS, NULL-terminated */

static void run_direct(void) {
  execv(direct_cmd[0], direct_cmd);
  fprintf(stderr, "viridian: cannot run %s: %s\n", direct_cmd[0], strerror(errno));
  _exit(127);
}

static struct timespec jar_time;
static int stale_found;

static int newer(struct timespec a, struct timespec b) {
  return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

/* Folders too, as find's -path does: a resource added or removed shows in its folder's time. */
static int is_source(const char *path, const char *name) {
  const char *dot = strrchr(name, '.');
  return (dot && (!strcmp(dot, ".java") || !strcmp(dot, ".c") || !strcmp(dot, ".S") || !strcmp(dot, ".h"))) ||
         !strcmp(name, "pom.xml") || !strcmp(name, "Makefile") || strstr(path, "/resources/");
}

/* The launcher's find, as it spells it: prune ROOT/.git and ROOT/X/.../target, print the first source newer. */
static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  const char *name = path + ftw->base;
  if (type == FTW_D) {
    if ((ftw->level == 1 && !strcmp(name, ".git")) || (ftw->level >= 2 && !strcmp(name, "target")))
      return FTW_SKIP_SUBTREE;
  }
  if (is_source(path, name) && newer(st->st_mtim, jar_time)) {
    stale_found = 1;
    return FTW_STOP;
  }
  return FTW_CONTINUE;
}

/* Whether ROOT's sources changed since JAR was built (or JAR is missing, or the walk failed: let the launcher see). */
static int sources_changed(const char *root, const char *jar) {
  struct stat st;
  if (stat(jar, &st) != 0) return 1;
  jar_time = st.st_mtim;
  if (nftw(root, visit, 16, FTW_PHYS | FTW_ACTIONRETVAL) == -1) return 1;
  return stale_found;
}

/* FNV-1a, 64 bits: the socket's name, not a secret (the directory is private). */
static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
  return h;
}

static int private_dir(const char *dir) {
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) return 0;
  struct stat st;
  if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) return 0;
  return 1;
}

static int try_connect(const struct sockaddr_un *addr) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0) return fd;
  close(fd);
  return -1;
}

/* Starts the server detached (its own session, no terminal), its output to LOG; returns its pid or -1. */
static pid_t start_server(char **cmd, const char *log) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  setsid();
  int null = open("/dev/null", O_RDWR);
  int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (null >= 0) dup2(null, 0);
  if (out >= 0) {
    dup2(out, 1);
    dup2(out, 2);
  }
  /* Nothing else of this process's: a pipe it inherited and kept open would make whoever reads that pipe wait for
     the server's end (minutes). */
  for (int fd = 3; fd < 1024; fd++) close(fd);
  execv(cmd[0], cmd);
  _exit(127);
}

static int write_all(int fd, const void *p, size_t n) {
  const char *b = p;
  while (n > 0) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_all(int fd, void *p, size_t n) {
  char *b = p;
  while (n > 0) {
    ssize_t r = read(fd, b, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    b += r;
    n -= (size_t)r;
  }
  return 0;
}

static int put_u32(char **buf, size_t *len, size_t *cap, uint32_t v) {
  if (*len + 4 > *cap) {
    *cap = (*cap + 4) * 2;
    if (!(*buf = realloc(*buf, *cap))) return -1;
  }
  for (int i = 0; i < 4; i++) (*buf)[(*len)++] = (char)(v >> (8 * i));
  return 0;
}

static int put_str(char **buf, size_t *len, size_t *cap, const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (put_u32(buf, len, cap, (uint32_t)n)) return -1;
  if (*len + n > *cap) {
    *cap = (*len + n) * 2;
    if (!(*buf = realloc(*buf, *cap))) return -1;
  }
  if (n) memcpy(*buf + *len, s, n);
  *len += n;
  return 0;
}

int main(int argc, char **argv) {
  const char *root = NULL, *jar = NULL;
  if (argc > 3 && !strcmp(argv[1], "--sources")) {
    root = argv[2];
    jar = argv[3];
    argv += 3;
    argc -= 3;
  }
  if (argc < 4) {
    fprintf(stderr, "usage: viridian-vhd-client [--sources ROOT JAR] DIR N SERVER-CMD... M DIRECT-CMD... -- ARGS...\n");
    return 2;
  }
  int i = 2, n = atoi(argv[i++]);
  if (n < 1 || i + n >= argc) return 2;
  char **server_cmd = calloc((size_t)n + 2, sizeof(char *));
  for (int k = 0; k < n; k++) server_cmd[k] = argv[i++];
  int m = atoi(argv[i++]);
  if (m < 1 || i + m >= argc || strcmp(argv[i + m], "--") != 0) return 2;
  char **cmd_args = argv + i + m + 1;
  int nargs = argc - (i + m + 1);
  direct_cmd = calloc((size_t)(m + nargs) + 1, sizeof(char *));
  for (int k = 0; k < m; k++) direct_cmd[k] = argv[i + k];
  for (int k = 0; k < nargs; k++) direct_cmd[m + k] = cmd_args[k];

  if (root && sources_changed(root, jar)) {
    /* The launcher again, told to check (and build) itself: `viridian vhd ARGS...`. */
    char launcher[PATH_MAX];
    if (snprintf(launcher, sizeof launcher, "%s/viridian", root) >= (int)sizeof launcher) return 2;
    char **again = calloc((size_t)nargs + 3, sizeof(char *));
    if (!again) return 1;
    again[0] = launcher;
    again[1] = "vhd";
    for (int k = 0; k < nargs; k++) again[2 + k] = cmd_args[k];
    setenv("VIRIDIAN_BUILD_CHECK", "1", 1);
    execv(launcher, again);
    fprintf(stderr, "viridian: cannot run %s: %s\n", launcher, strerror(errno));
    return 127;
  }

  const char *dir = argv[1];
  if (!private_dir(dir)) run_direct();
  mode_t mask = umask(0);
  umask(mask);
  gid_t groups[NGROUPS_MAX];
  int ngroups = getgroups(NGROUPS_MAX, groups);
  if (ngroups < 0) ngroups = 0;
  uid_t uid = geteuid();
  gid_t gid = getegid();
  uint64_t h = 0xcbf29ce484222325ULL;
  h = fnv(h, &uid, sizeof uid);
  h = fnv(h, &gid, sizeof gid);
  h = fnv(h, &mask, sizeof mask);
  h = fnv(h, groups, sizeof(gid_t) * (size_t)ngroups);
  /* And the server's command line (its Java, jars, cache): another build or checkout gets a server of its own. */
  for (int k = 0; k < n; k++) h = fnv(h, server_cmd[k], strlen(server_cmd[k]) + 1);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  char log[PATH_MAX];
  if (snprintf(addr.sun_path, sizeof addr.sun_path, "%s/vhd-%016llx.sock", dir, (unsigned long long)h) >=
          (int)sizeof addr.sun_path ||
      snprintf(log, sizeof log, "%s/vhd-%016llx.log", dir, (unsigned long long)h) >= (int)sizeof log)
    run_direct();
  server_cmd[n] = addr.sun_path;

  int fd = try_connect(&addr);
  if (fd < 0) {
    /* The server's JVM start (~0.2 s, seconds on a busy host); it gives up on its own if another one won. */
    pid_t pid = start_server(server_cmd, log);
    struct timespec nap = {0, 5 * 1000 * 1000};
    for (int tries = 0; pid > 0 && fd < 0 && tries < 6000; tries++) { /* 30 s */
      nanosleep(&nap, NULL);
      fd = try_connect(&addr);
      int status;
      if (fd < 0 && waitpid(pid, &status, WNOHANG) == pid) {
        /* Ended without serving: another server took the socket (try it a while longer), or it failed. */
        pid = 0;
        for (int k = 0; k < 400 && fd < 0; k++) {
          nanosleep(&nap, NULL);
          fd = try_connect(&addr);
        }
      }
    }
    if (fd < 0) run_direct();
  }

  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) run_direct();
  char *req = NULL;
  size_t len = 0, cap = 0;
  if (put_u32(&req, &len, &cap, 0x31535656u) || put_u32(&req, &len, &cap, (uint32_t)(4 + nargs)) ||
      put_str(&req, &len, &cap, cwd) || put_str(&req, &len, &cap, getenv("LC_ALL")) ||
      put_str(&req, &len, &cap, getenv("LC_MESSAGES")) || put_str(&req, &len, &cap, getenv("LANG")))
    run_direct();
  for (int k = 0; k < nargs; k++)
    if (put_str(&req, &len, &cap, cmd_args[k])) run_direct();
  /* A server that went away between connect and request (idle timeout): the command has not started, run it here. */
  signal(SIGPIPE, SIG_IGN);
  if (write_all(fd, req, len)) run_direct();
  free(req);

  char *data = NULL;
  size_t data_cap = 0;
  int started = 0;
  for (;;) {
    unsigned char head[5];
    if (read_all(fd, head, 5)) {
      if (!started) run_direct();
      fprintf(stderr, "viridian: the disk tools' server ended during the command (its log: %s)\n", log);
      return 1;
    }
    started = 1;
    uint32_t n32 = head[1] | head[2] << 8 | head[3] << 16 | (uint32_t)head[4] << 24;
    if (n32 > (1u << 24)) {
      fprintf(stderr, "viridian: a bad reply from the disk tools' server\n");
      return 1;
    }
    if (n32 > data_cap) {
      data_cap = n32;
      if (!(data = realloc(data, data_cap))) return 1;
    }
    if (n32 && read_all(fd, data, n32)) {
      fprintf(stderr, "viridian: the disk tools' server ended during the command (its log: %s)\n", log);
      return 1;
    }
    switch (head[0]) {
    case 'O':
      write_all(1, data, n32);
      break;
    case 'E':
      write_all(2, data, n32);
      break;
    case 'X':
      if (n32 != 4) return 1;
      return (int)((unsigned char)data[0] | (unsigned char)data[1] << 8);
    case 'R':
      close(fd);
      run_direct();
      break;
    default:
      fprintf(stderr, "viridian: a bad reply from the disk tools' server\n");
      return 1;
    }
  }
}
