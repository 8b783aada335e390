/*
 * taskbound-init: the native first process of a netns sandbox (dev.taskbound.core.sandbox.NativeInit).
 *
 * The same job and protocol as the JVM's SandboxInit, in a few milliseconds instead of a JVM start,
 * and not dumpable: the agent runs as the same uid, and a dumpable init would let it read this
 * process's memory (/proc/PID/mem, environ) or take its descriptors. It
 *   1. makes itself non-dumpable, connects to the launcher's control socket (argv[1]) and reads the
 *      request (InitProtocol version 4: command, working directory, environment, gateway socket,
 *      wait-for-all, hand-off socket);
 *   2. binds the agent's proxy port on 127.0.0.1 (argv[2] when given: the netns backend names a
 *      fixed port, which the agent's hook is told, so that nothing the agent starts can hold it;
 *      else any free port) and sends that listening socket to
 *      the hand-off socket as SCM_RIGHTS (one byte, 1), then closes its own copy: the gateway serves
 *      the agent's connections and nothing in the sandbox holds the socket. It cannot forward: the
 *      launcher starts it only when it offers a hand-off, and a failed hand-off fails the start;
 *   3. resolves argv[0] in the agent's PATH as a shell does (ExecutableLookup), adds the proxy
 *      variables (ProxyEnvironment), starts the agent, replies (port, agent pid or -1, and its own
 *      pid and start time, by which the launcher finds it from the host: InitIdentity) and closes
 *      every descriptor but 0-2;
 *   4. passes SIGTERM/SIGINT/SIGHUP on to the agent as SIGTERM and exits with the agent's status
 *      (128+N for signal N; 127 not found, 126 not executable), after every descendant has exited
 *      when asked to wait for all (it is their subreaper).
 * With --hold N PATH... [--join FILE]... [--fd3 FILE] -- COMMAND... it is instead the first step of the
 * setup, on the host: it opens each path without following a link and leaves it on descriptor 20 + i for
 * bwrap's --bind-fd, writes its pid into each cgroup.procs FILE and opens the seccomp profile on
 * descriptor 3 for bwrap's --seccomp 3, then executes COMMAND (see hold).
 * With --hand-off it is instead the container backend's first process in the agent container
 * (container_mode below): bind, hand over, exec the agent.
 * With --watch AGENT INIT INIT_START it is the launcher's host-side watch on the agent (see watch): it
 * finds the init's child whose pid in the init's namespace is AGENT (the pid step 3 replied) and prints
 * "exited STATUS" (or "exited unknown") once it has exited, whether or not its init, which the
 * agent can stop with SIGSTOP, is there to reap it.
 * Exit 121 when the sandbox's side cannot be set up, 125 on a usage error. Built by
 * scripts/build-native-init.sh; every error is one line on stderr starting "taskbound:".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROTOCOL_VERSION 4
#define MAX_STRING (1 << 20)
#define MAX_ITEMS 100000
#define EXIT_SANDBOX 121
#define EXIT_USAGE 125
#define EXIT_NOT_EXECUTABLE 126
#define EXIT_NOT_FOUND 127
#define SIGNAL_BASE 128
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define PRINTABLE_MAX 400
#define HOLD_BASE 20 /* dev.taskbound.core.sandbox.FilesystemView.HELD_FD_BASE */
#define HOLD_MAX 900

/* 0: not started yet (a signal ends init); >0: running; -1: exited (a signal ends init). */
static volatile sig_atomic_t agent = 0;

static void fail(const char *what) {
  fprintf(stderr, "taskbound: the sandbox could not start the agent: %s: %s\n", what, strerror(errno));
  exit(EXIT_SANDBOX);
}

static void fail_protocol(const char *what) {
  fprintf(stderr, "taskbound: the sandbox could not start the agent: %s\n", what);
  exit(EXIT_SANDBOX);
}

static void on_signal(int sig) {
  pid_t pid = agent;
  if (pid > 0) {
    kill(pid, SIGTERM);
  } else {
    _exit(SIGNAL_BASE + sig);
  }
}

static void read_fully(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail("reading the request");
    if (r == 0) fail_protocol("reading the request: the launcher closed the control socket");
    p += r;
    n -= (size_t) r;
  }
}

static int32_t read_int(int fd) {
  uint32_t v;
  read_fully(fd, &v, 4);
  return (int32_t) ntohl(v);
}

static int read_count(int fd) {
  int32_t n = read_int(fd);
  if (n < 0 || n > MAX_ITEMS) fail_protocol("bad item count in the request");
  return n;
}

/* A NUL-terminated copy of a length-prefixed UTF-8 string (a NUL inside is refused). */
static char *read_string(int fd) {
  int32_t n = read_int(fd);
  if (n < 0 || n > MAX_STRING) fail_protocol("bad string length in the request");
  char *s = malloc((size_t) n + 1);
  if (s == NULL) fail("allocating the request");
  read_fully(fd, s, (size_t) n);
  s[n] = '\0';
  if (strlen(s) != (size_t) n) fail_protocol("a NUL byte inside a string of the request");
  return s;
}

static void write_fully(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) fail("replying to the launcher");
    p += w;
    n -= (size_t) w;
  }
}

static long long stat_field_of(const char *path, int n);

static void put_long(unsigned char *b, int64_t value) {
  uint64_t v = (uint64_t) value;
  for (int i = 0; i < 8; i++) b[i] = (unsigned char) (v >> (56 - 8 * i));
}

/* The reply: the port, the agent's pid (or -1), then this init as the launcher finds it from the
   host (InitIdentity): its pid in its own namespace and its start time (-1 when unreadable). */
static void reply(int fd, int port, int64_t pid) {
  unsigned char b[28];
  uint32_t p = htonl((uint32_t) port);
  memcpy(b, &p, 4);
  put_long(b + 4, pid);
  put_long(b + 12, (int64_t) getpid());
  put_long(b + 20, (int64_t) stat_field_of("/proc/self/stat", 22));
  write_fully(fd, b, sizeof b);
}

static int unix_connect(const char *path, const char *what) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof a.sun_path) fail_protocol("a socket path longer than the kernel accepts");
  strcpy(a.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail(what);
  while (connect(fd, (struct sockaddr *) &a, sizeof a) < 0) {
    if (errno != EINTR) fail(what);
  }
  return fd;
}

/* The agent's proxy port: a loopback listener in the sandbox's network namespace (*port 0: any free one). */
static int bind_proxy_port(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("opening the proxy port");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t) *port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(fd, (struct sockaddr *) &a, sizeof a) < 0) fail("binding the proxy port on 127.0.0.1");
  if (listen(fd, 128) < 0) fail("listening on the proxy port");
  socklen_t len = sizeof a;
  if (getsockname(fd, (struct sockaddr *) &a, &len) < 0) fail("reading the proxy port");
  *port = ntohs(a.sin_port);
  return fd;
}

/* Sends the listener to the gateway's receiver: one byte, 1, carrying the descriptor. */
static void hand_over(int listener, const char *handoff) {
  int fd = unix_connect(handoff, "connecting to the launcher's hand-off socket");
  char one = 1;
  struct iovec iov = {.iov_base = &one, .iov_len = 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &listener, sizeof(int));
  while (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) fail("handing the proxy port to the gateway");
  }
  close(fd);
}

/* --- the agent's environment: ProxyEnvironment.forAgent --------------------------------------- */

struct env {
  char **items; /* "NAME=value" */
  size_t n, cap;
};

static char *concat(const char *a, const char *b, const char *c) {
  size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
  char *s = malloc(la + lb + lc + 1);
  if (s == NULL) fail("allocating the environment");
  memcpy(s, a, la);
  memcpy(s + la, b, lb);
  memcpy(s + la + lb, c, lc + 1);
  return s;
}

static const char *env_get(const struct env *e, const char *name) {
  size_t l = strlen(name);
  for (size_t i = 0; i < e->n; i++) {
    if (strncmp(e->items[i], name, l) == 0 && e->items[i][l] == '=') return e->items[i] + l + 1;
  }
  return NULL;
}

/* Replaces the variable where it is, or appends it (a LinkedHashMap's put). */
static void env_put(struct env *e, const char *name, const char *value) {
  char *item = concat(name, "=", value);
  size_t l = strlen(name);
  for (size_t i = 0; i < e->n; i++) {
    if (strncmp(e->items[i], name, l) == 0 && e->items[i][l] == '=') {
      e->items[i] = item;
      return;
    }
  }
  if (e->n + 1 >= e->cap) {
    e->cap = e->cap * 2 + 16;
    e->items = realloc(e->items, e->cap * sizeof(char *));
    if (e->items == NULL) fail("allocating the environment");
  }
  e->items[e->n++] = item;
  e->items[e->n] = NULL;
}

/* Java's String.strip() for ASCII whitespace and the separators Java counts (enough here). */
static char *strip(const char *s) {
  while (*s == ' ' || (*s >= '\t' && *s <= '\r') || (*s >= 0x1c && *s <= 0x1f)) s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || (s[n - 1] >= '\t' && s[n - 1] <= '\r') || (s[n - 1] >= 0x1c && s[n - 1] <= 0x1f))) n--;
  char *out = strndup(s, n);
  if (out == NULL) fail("allocating the environment");
  return out;
}

/* GIT_CONFIG_COUNT as ProxyEnvironment reads it: Integer.parseInt of the stripped value, else 0. */
static long git_config_count(const char *value) {
  if (value == NULL) return 0;
  char *s = strip(value);
  const char *p = s;
  int negative = 0;
  if (*p == '+' || *p == '-') negative = *p++ == '-';
  if (*p == '\0') return 0;
  long n = 0;
  for (; *p; p++) {
    if (*p < '0' || *p > '9') return 0;
    n = n * 10 + (*p - '0');
    if (n > 2147483647L + negative) return 0;
  }
  return negative ? 0 : n;
}

static void add_proxy_variables(struct env *e, int port) {
  char url[64], opts[256], key[64], count[32];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
  const char *names[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy",
                         "NO_PROXY", "no_proxy"};
  for (int i = 0; i < 8; i++) env_put(e, names[i], i < 6 ? url : "");
  env_put(e, "NODE_USE_ENV_PROXY", "1");
  env_put(e, "npm_config_proxy", url);
  env_put(e, "npm_config_https_proxy", url);
  env_put(e, "YARN_HTTP_PROXY", url);
  env_put(e, "YARN_HTTPS_PROXY", url);
  env_put(e, "PIP_PROXY", url);
  snprintf(opts, sizeof opts,
           "-Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=%d -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=%d"
           " -Dhttp.nonProxyHosts=", port, port);
  const char *existing = env_get(e, "JAVA_TOOL_OPTIONS");
  char *kept = strip(existing == NULL ? "" : existing);
  env_put(e, "JAVA_TOOL_OPTIONS", *kept ? concat(kept, " ", opts) : opts);
  long n = git_config_count(env_get(e, "GIT_CONFIG_COUNT"));
  snprintf(key, sizeof key, "GIT_CONFIG_KEY_%ld", n);
  env_put(e, key, "http.proxy");
  snprintf(key, sizeof key, "GIT_CONFIG_VALUE_%ld", n);
  env_put(e, key, url);
  snprintf(count, sizeof count, "%ld", n + 1);
  env_put(e, "GIT_CONFIG_COUNT", count);
}

/* --- finding the program: ExecutableLookup ----------------------------------------------------- */

static int executable_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The program to execute, or NULL when no PATH entry holds it. */
static char *lookup(const char *command, const char *path, const char *workdir) {
  if (strchr(command, '/') != NULL) return strdup(command);
  if (*command == '\0') return NULL;
  const char *p = path;
  for (;;) {
    const char *end = strchr(p, ':');
    size_t len = end == NULL ? strlen(p) : (size_t) (end - p);
    char *dir = strndup(p, len);
    char *base = len == 0 ? strdup(workdir) : dir[0] == '/' ? strdup(dir) : concat(workdir, "/", dir);
    char *candidate = concat(base, "/", command);
    free(dir);
    free(base);
    if (executable_file(candidate)) return candidate;
    free(candidate);
    if (end == NULL) return NULL;
    p = end + 1;
  }
}

/* ExecutableLookup.Printable: controls escaped as \xNN (C1 too, and bytes that are not UTF-8), cut at 400. */
static void print_printable(FILE *out, const char *s) {
  const unsigned char *p = (const unsigned char *) s;
  int chars = 0;
  while (*p && chars < PRINTABLE_MAX) {
    int n = *p < 0x80 ? 1 : (*p >= 0xc2 && *p <= 0xdf) ? 2 : (*p >= 0xe0 && *p <= 0xef) ? 3 : (*p >= 0xf0 && *p <= 0xf4) ? 4 : 0;
    for (int i = 1; i < n; i++) {
      if ((p[i] & 0xc0) != 0x80) n = 0;
    }
    if (n == 0 || *p < 0x20 || *p == 0x7f) {
      fprintf(out, "\\x%02x", *p);
      p++;
    } else if (n == 2 && *p == 0xc2 && p[1] < 0xa0) {
      fprintf(out, "\\x%02x", p[1]);
      p += 2;
    } else {
      fwrite(p, 1, (size_t) n, out);
      p += n;
    }
    chars++;
  }
  if (*p) fputs("\xe2\x80\xa6", out);
}

/* --- starting and waiting ---------------------------------------------------------------------- */

static int exit_status(int st) {
  return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? SIGNAL_BASE + WTERMSIG(st) : EXIT_SANDBOX;
}

/* --- holding the sandbox's sources open: taskbound-init --hold N PATH... -- COMMAND... ------------ */

/*
 * Opens an absolute path one component at a time, each with O_PATH|O_NOFOLLOW from the one before,
 * refusing a component that is a symbolic link: the descriptor names exactly the object checked,
 * whatever is renamed or linked after. Exit 121 on a link, a missing component or "." / "..".
 */
static int open_without_links(const char *path) {
  if (path[0] != '/') {
    fprintf(stderr, "taskbound: the sandbox did not start: '%s' is not an absolute path\n", path);
    exit(EXIT_SANDBOX);
  }
  int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("opening /");
  char *copy = strdup(path);
  if (copy == NULL) fail("allocating a path");
  char *save = NULL;
  for (char *name = strtok_r(copy, "/", &save); name != NULL; name = strtok_r(NULL, "/", &save)) {
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
      fprintf(stderr, "taskbound: the sandbox did not start: '%s' is not a normal path\n", path);
      exit(EXIT_SANDBOX);
    }
    int next = openat(fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) {
      fprintf(stderr, "taskbound: the sandbox did not start: '%s' (at '%s'): %s; it changed since the start was"
              " planned (accepted: policy paths that stay in place while a command starts)\n", path, name, strerror(errno));
      exit(EXIT_SANDBOX);
    }
    struct stat st;
    if (fstat(next, &st) != 0) fail("checking a sandbox path");
    if (S_ISLNK(st.st_mode)) {
      fprintf(stderr, "taskbound: the sandbox did not start: '%s' leads through a symbolic link at '%s', which the"
              " sandbox would show in its place (accepted: paths with no symbolic link in them)\n", path, name);
      exit(EXIT_SANDBOX);
    }
    close(fd);
    fd = next;
  }
  free(copy);
  return fd;
}

static void cgroup_failed(const char *procs) {
  fprintf(stderr, "taskbound: the sandbox did not start: cannot join the agent's cgroup through '%s': %s\n", procs, strerror(errno));
  exit(EXIT_SANDBOX);
}

/* Moves this process into the cgroup whose cgroup.procs file is PROCS (AgentLimits): all it starts after is in it. */
static void join_cgroup(const char *procs) {
  char pid[32];
  int len = snprintf(pid, sizeof pid, "%ld\n", (long) getpid());
  int fd = open(procs, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) cgroup_failed(procs);
  ssize_t w;
  while ((w = write(fd, pid, (size_t) len)) < 0 && errno == EINTR) {
  }
  if (w < 0) cgroup_failed(procs);
  if (w != len) {
    errno = EIO; /* a cgroup.procs write is whole or refused */
    cgroup_failed(procs);
  }
  if (close(fd) != 0) cgroup_failed(procs);
}

/* Opens PATH read-only on descriptor 3, left open across exec: bwrap's --seccomp 3 reads the profile there. */
static void open_on_3(const char *path) {
  int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "taskbound: the sandbox did not start: cannot open the seccomp profile '%s': %s\n", path, strerror(errno));
    exit(EXIT_SANDBOX);
  }
  if (fd == 3) {
    if (fcntl(fd, F_SETFD, 0) != 0) fail("passing the seccomp profile on"); /* dup2 onto itself would keep O_CLOEXEC */
  } else {
    if (dup2(fd, 3) < 0) fail("passing the seccomp profile on"); /* the copy is not close-on-exec */
    if (close(fd) != 0) fail("passing the seccomp profile on");
  }
}

/*
 * The first step of the netns sandbox's setup, on the host, as the user Taskbound runs as: opens each
 * path the view binds and leaves it on descriptor HOLD_BASE + i (bwrap's --bind-fd / --ro-bind-fd
 * mount the descriptor, so the object mounted is the object checked, and bwrap closes each once
 * mounted); writes its pid into each --join FILE, in order (the agent's cgroups: everything the
 * setup starts after is in them), exit 121 if one refuses; opens the --fd3 FILE (the seccomp profile)
 * on descriptor 3; then executes the rest of the setup (an absolute path, no search, no shell). Only
 * 0-2, the held descriptors and 3 reach it: every other descriptor this opens is close-on-exec.
 */
static int hold(int argc, char **argv) {
  char *end;
  long n = argc > 2 ? strtol(argv[2], &end, 10) : -1;
  int ok = argc >= 5 && *argv[2] != '\0' && *end == '\0' && n >= 0 && n <= HOLD_MAX && argc >= 5 + n;
  int rest = ok ? 3 + (int) n : 0; /* after the paths: the options, then "--" */
  const char *fd3 = NULL;
  while (ok && rest < argc && strcmp(argv[rest], "--") != 0) {
    if (rest + 1 >= argc) {
      ok = 0;
    } else if (strcmp(argv[rest], "--join") == 0) {
      rest += 2;
    } else if (strcmp(argv[rest], "--fd3") == 0 && fd3 == NULL) {
      fd3 = argv[rest + 1];
      rest += 2;
    } else {
      ok = 0;
    }
  }
  if (!ok || rest + 1 >= argc || argv[rest + 1][0] != '/') { /* an absolute command: never one of the workspace's */
    fputs("taskbound: usage: taskbound-init --hold N PATH... [--join FILE]... [--fd3 FILE] -- /ABSOLUTE/COMMAND...\n", stderr);
    return EXIT_USAGE;
  }
  for (long i = 0; i < n; i++) {
    int fd = open_without_links(argv[3 + i]);
    if (dup2(fd, HOLD_BASE + (int) i) < 0) fail("holding a sandbox path"); /* the copy is not close-on-exec */
    close(fd);
  }
  for (int i = 3 + (int) n; i < rest; i += 2) {
    if (strcmp(argv[i], "--join") == 0) join_cgroup(argv[i + 1]);
  }
  if (fd3 != NULL) open_on_3(fd3);
  execv(argv[rest + 1], argv + rest + 1);
  fail("starting the sandbox's setup");
  return EXIT_SANDBOX;
}

/*
 * The container backend's mode (ContainerSandbox): the first process of the agent container, under
 * Docker's init, in the container's own network namespace (--network none: loopback only). Binds
 * 127.0.0.1:PORT, hands that listener to the launcher's hand-off socket (bind-mounted into the
 * container, as this executable is), closes its copy and execs the agent's command with the
 * container's environment (the launcher set the proxy variables for PORT). No relay and no forwarder
 * container: the gateway accepts the agent's connections on this namespace's own port. A failed
 * hand-off ends the container with 121 before the agent exists.
 */
/* A port given on the command line: 1 to 65535, else -1. */
static int parse_port(const char *text) {
  char *end;
  long wanted = strtol(text, &end, 10);
  return *text == '\0' || *end != '\0' || wanted < 1 || wanted > 65535 ? -1 : (int) wanted;
}

static int container_mode(int argc, char **argv) {
  if (argc < 5) {
    fputs("taskbound: usage: taskbound-init --hand-off HANDOFF_SOCKET PORT COMMAND [ARG...]\n", stderr);
    return EXIT_USAGE;
  }
  int port = parse_port(argv[3]);
  if (port < 0) {
    fputs("taskbound: the proxy port must be a number from 1 to 65535\n", stderr);
    return EXIT_USAGE;
  }
  int listener = bind_proxy_port(&port);
  hand_over(listener, argv[2]);
  close(listener); /* the gateway holds it now; nothing in the container does */
  char **command = argv + 4;
  execvp(command[0], command);
  int err = errno;
  fputs("taskbound: cannot run '", stderr);
  print_printable(stderr, command[0]);
  fprintf(stderr, "': %s\n", strerror(err));
  return err == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
}

/* --- the launcher's host-side watch on the agent: taskbound-init --watch AGENT INIT INIT_START -- */

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* the same number on x86_64 and aarch64 */
#endif

/*
 * Field n (1-based, n >= 3) of a /proc/.../stat file as a number, or -1 when the process is gone
 * (reaped) or the field is not there. The fields after the command's name, which may hold anything,
 * start after its last ')'.
 */
static long long stat_field_of(const char *path, int n) {
  char buf[4096];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t got = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (got <= 0) return -1;
  buf[got] = '\0';
  char *p = strrchr(buf, ')');
  if (p == NULL) return -1;
  p += 2; /* field 3, the state */
  for (int i = 3; i < n; i++) {
    p = strchr(p, ' ');
    if (p == NULL) return -1;
    p++;
  }
  return strtoll(p, NULL, 10);
}

/* Field n of /proc/PID/stat (stat_field_of). */
static long long stat_field(long pid, int n) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  return stat_field_of(path, n);
}

/*
 * The process's pids, one per pid namespace from this /proc's down to its own (the NSpid line of
 * /proc/PID/status): returns how many there are and leaves the last, the pid its own namespace
 * knows it by, in *own; 0 when the process is gone or the line is missing.
 */
static int namespace_pids(long pid, long *own) {
  char path[64], buf[8192];
  snprintf(path, sizeof path, "/proc/%ld/status", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  size_t len = 0;
  ssize_t got;
  while (len < sizeof buf - 1 && (got = read(fd, buf + len, sizeof buf - 1 - len)) > 0) len += (size_t) got;
  close(fd);
  buf[len] = '\0';
  char *p = strstr(buf, "\nNSpid:");
  if (p == NULL) return 0;
  p += strlen("\nNSpid:");
  char *eol = strchr(p, '\n');
  if (eol != NULL) *eol = '\0';
  int levels = 0;
  for (;;) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p) break;
    *own = v;
    levels++;
    p = end;
  }
  return levels;
}

/*
 * Whether PID is the agent: a child of the init PARENT, in the init's own pid namespace (as many
 * levels as the init's LEVELS), where its pid is AGENT, the pid the init replied with. Within one
 * namespace a pid names one process at a time, so no other child of the init (one it had before it
 * started the agent, or an orphan it adopted) can pass.
 */
static int is_agent(long pid, long parent, long agent_pid, int levels) {
  long own = -1;
  return stat_field(pid, 4) == parent && namespace_pids(pid, &own) == levels && own == agent_pid;
}

/* The agent's host pid (this /proc's), found among every process, or -1 when it is not there. */
static long find_agent(long parent, long agent_pid, int levels) {
  DIR *proc = opendir("/proc");
  if (proc == NULL) fail("watching the agent (reading /proc)");
  long found = -1;
  struct dirent *e;
  while (found < 0 && (e = readdir(proc)) != NULL) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*e->d_name != '\0' && *end == '\0' && pid > 0 && is_agent(pid, parent, agent_pid, levels)) found = pid;
  }
  closedir(proc);
  return found;
}

/*
 * Waits, from the host, for the agent to exit, with a pidfd: readable as soon as the process has
 * exited, reaped or not. A stopped init cannot reap its agent, nor end the sandbox; the launcher
 * learns the agent's end from this and ends the sandbox itself. AGENT is the pid the init replied
 * with, in the init's own pid namespace; PARENT is the init's host pid and PARENT_START its start
 * time, as the launcher found the init by its reply (InitIdentity): a PARENT with another start
 * time is not that init, and nothing is watched. The agent is the init's child that has pid AGENT
 * in the init's namespace (is_agent), not a guess among its children.
 * Prints "exited STATUS" (the status as init reports it: the exit code, or 128+N for signal N),
 * read from the zombie's /proc/PID/stat (field 52, exit_code), or "exited unknown" when init has
 * reaped it already (then init reports the status itself). Exit 0; 121 if no pidfd can be had (a
 * kernel before 5.3), 125 on a usage error.
 */
static int watch(int argc, char **argv) {
  char *end1, *end2, *end3;
  long agent_pid = argc == 5 ? strtol(argv[2], &end1, 10) : -1;
  long parent = argc == 5 ? strtol(argv[3], &end2, 10) : -1;
  long long parent_start = argc == 5 ? strtoll(argv[4], &end3, 10) : -1;
  if (argc != 5 || *end1 != '\0' || *end2 != '\0' || *end3 != '\0' || agent_pid <= 0 || parent <= 0 || parent_start < 0) {
    fputs("taskbound: usage: taskbound-init --watch AGENT_PID_IN_ITS_NAMESPACE INIT_HOST_PID INIT_START_TIME\n", stderr);
    return EXIT_USAGE;
  }
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) fail("making the watch non-dumpable");
  long own;
  /* PARENT still the init the launcher found (its pid not reused): only then its children count */
  int levels = stat_field(parent, 22) == parent_start ? namespace_pids(parent, &own) : 0;
  long pid = levels > 0 ? find_agent(parent, agent_pid, levels) : -1;
  if (pid < 0) {
    puts("exited unknown"); /* reaped already (or the init is gone): the init's own status ends the run */
    return 0;
  }
  int fd = (int) syscall(SYS_pidfd_open, (pid_t) pid, 0);
  if (fd < 0) {
    if (errno == ESRCH) {
      puts("exited unknown"); /* gone and reaped already */
      return 0;
    }
    fail("watching the agent (pidfd_open)");
  }
  /* The pidfd names whatever held the pid when it was opened: still the agent, or it was reaped
     meanwhile. Its start time then tells the same process from any later holder of the pid. */
  long long start = stat_field(pid, 22);
  if (!is_agent(pid, parent, agent_pid, levels) || start < 0) {
    puts("exited unknown");
    return 0;
  }
  struct pollfd p = {.fd = fd, .events = POLLIN};
  while (poll(&p, 1, -1) < 0) {
    if (errno != EINTR) fail("watching the agent (poll)");
  }
  long long code = stat_field(pid, 52);
  if (code < 0 || stat_field(pid, 4) != parent || stat_field(pid, 22) != start) {
    puts("exited unknown");
  } else {
    int st = (int) code;
    printf("exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? SIGNAL_BASE + WTERMSIG(st) : EXIT_SANDBOX);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "--hold") == 0) return hold(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "--hand-off") == 0) return container_mode(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "--watch") == 0) return watch(argc, argv);
  if (argc != 2 && argc != 3) {
    fputs("taskbound: usage: taskbound-init CONTROL_SOCKET [PORT] | --hold N PATH... [--join FILE]... [--fd3 FILE] -- COMMAND... | --hand-off HANDOFF_SOCKET PORT COMMAND..."
          " | --watch AGENT_PID_IN_ITS_NAMESPACE INIT_HOST_PID INIT_START_TIME\n", stderr);
    return EXIT_USAGE;
  }
  int port = argc == 3 ? parse_port(argv[2]) : 0;
  if (port < 0) {
    fputs("taskbound: the proxy port must be a number from 1 to 65535\n", stderr);
    return EXIT_USAGE;
  }
  /* First of all: nothing of this process is readable or traceable by the agent (same uid). */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) fail("making init non-dumpable");

  /* Whatever the chain left blocked or ignored (both survive exec), start clean, as a JVM does. */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGCHLD, SIG_DFL); /* ignored, the agent would be reaped before init could read its status */

  sigset_t relayed;
  sigemptyset(&relayed);
  sigaddset(&relayed, SIGTERM);
  sigaddset(&relayed, SIGINT);
  sigaddset(&relayed, SIGHUP);
  struct sigaction sa = {.sa_handler = on_signal};
  sigfillset(&sa.sa_mask);
  for (int s = 1; s < NSIG; s++) {
    if (sigismember(&relayed, s) == 1) sigaction(s, &sa, NULL);
  }

  int ctl = unix_connect(argv[1], "connecting to the launcher's control socket");
  if (read_int(ctl) != PROTOCOL_VERSION) fail_protocol("the launcher speaks another protocol version (expected 4)");
  int argn = read_count(ctl);
  if (argn == 0) fail_protocol("an empty command");
  char **command = calloc((size_t) argn + 1, sizeof(char *));
  if (command == NULL) fail("allocating the request");
  for (int i = 0; i < argn; i++) command[i] = read_string(ctl);
  char *workdir = read_string(ctl);
  struct env env = {0};
  int envn = read_count(ctl);
  for (int i = 0; i < envn; i++) {
    char *name = read_string(ctl);
    char *value = read_string(ctl);
    env_put(&env, name, value);
    free(name);
    free(value);
  }
  free(read_string(ctl)); /* the gateway socket: only a forwarder would dial it */
  unsigned char wait_all;
  read_fully(ctl, &wait_all, 1);
  char *handoff = read_string(ctl);
  if (*handoff == '\0') fail_protocol("no hand-off socket: the native init cannot forward (the JVM init can)");

  int listener = bind_proxy_port(&port);
  hand_over(listener, handoff);
  close(listener); /* the gateway holds it now; nothing in the sandbox does */

  add_proxy_variables(&env, port);
  const char *path = env_get(&env, "PATH");
  char *program = lookup(command[0], path == NULL ? DEFAULT_PATH : path, workdir);
  if (program == NULL) {
    reply(ctl, port, -1);
    fputs("taskbound: command not found: '", stderr);
    print_printable(stderr, command[0]);
    fputs("' (searched the agent's PATH=", stderr);
    print_printable(stderr, path == NULL ? DEFAULT_PATH : path);
    fputs(")\n", stderr);
    return EXIT_NOT_FOUND;
  }
  if (wait_all && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) fail("becoming the subreaper of the agent's processes");

  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) != 0) fail("starting the agent");
  sigprocmask(SIG_BLOCK, &relayed, NULL); /* the handler must see the agent's pid, not a half-started one */
  pid_t pid = fork();
  if (pid < 0) fail("starting the agent");
  if (pid == 0) {
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    for (int s = 1; s < NSIG; s++) {
      if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, NULL); /* fails harmlessly for glibc's own */
    }
    sigprocmask(SIG_SETMASK, &none, NULL);
    int err = 0;
    if (chdir(workdir) != 0) {
      err = errno;
    } else {
      execve(program, command, env.items);
      err = errno;
      if (err == ENOEXEC) { /* a script without #!: the shell runs it, as for execvp and the JDK */
        char **sh = calloc((size_t) argn + 2, sizeof(char *));
        if (sh != NULL) {
          sh[0] = "/bin/sh";
          sh[1] = program;
          for (int i = 1; i < argn; i++) sh[i + 1] = command[i];
          execve("/bin/sh", sh, env.items);
        }
      }
    }
    while (write(errpipe[1], &err, sizeof err) < 0 && errno == EINTR) {
    }
    _exit(EXIT_NOT_FOUND);
  }
  close(errpipe[1]);
  int err = 0;
  ssize_t got;
  while ((got = read(errpipe[0], &err, sizeof err)) < 0 && errno == EINTR) {
  }
  close(errpipe[0]);
  if (got == (ssize_t) sizeof err) {
    waitpid(pid, NULL, 0);
    reply(ctl, port, -1);
    fputs("taskbound: cannot run '", stderr);
    print_printable(stderr, command[0]);
    fprintf(stderr, "': %s\n", strerror(err));
    return err == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
  }
  agent = pid;
  sigprocmask(SIG_UNBLOCK, &relayed, NULL);
  reply(ctl, port, pid);
  close(ctl);
  for (size_t i = 0; i < env.n; i++) explicit_bzero(env.items[i], strlen(env.items[i])); /* the agent has its copy */

  int status = EXIT_SANDBOX;
  for (;;) {
    int st;
    pid_t done = waitpid(-1, &st, 0);
    if (done < 0) {
      if (errno == EINTR) continue;
      break; /* ECHILD: no one left */
    }
    if (done == pid) {
      status = exit_status(st);
      agent = -1; /* from now on a signal ends init, and with it the sandbox */
      if (!wait_all) break;
    }
  }
  return status;
}
