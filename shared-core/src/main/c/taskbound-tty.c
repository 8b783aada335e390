/*
 * taskbound-tty: gives `taskbound run`'s agent a pseudo-terminal of its own, so that Taskbound can
 * prompt a person on the real terminal without the agent seeing or drawing over the prompt
 * (dev.taskbound.core.cli.TerminalRelay; docs/gate.md "A prompt on the controlling terminal").
 *
 * relay TTY [DIR] opens TTY (the run's terminal), a pty pair (posix_openpt, grantpt, unlockpt), copies
 *                the terminal's modes and size to the pty, keeps the leader and holds the follower
 *                (so the leader never hangs up before the run ends), and prints "pty PATH" on stderr.
 *                The agent's output (read from the leader) goes to stdout, where the run masks it and
 *                writes it to the terminal. Commands on stdin, one a line:
 *                  go         raw mode on TTY; its keys go to the pty from now on
 *                  line TEXT  a line of the next prompt (shown with control bytes replaced by '?')
 *                  ask        pause: stop reading the agent's output (it blocks once the pty's
 *                             buffer is full), discard typed-ahead keys (and say so when there
 *                             were some), reset TTY (ESC c), show a
 *                             fixed banner and the lines; once TTY has been quiet for a while ask
 *                             for a random code (approve) or n (deny) with Enter, read from TTY only,
 *                             escape sequences dropped; reply "answer y" or "answer n" on stderr (an
 *                             "error" without asking when a line was lost); then resume and send SIGWINCH to
 *                             the pty's foreground group so full-screen programs redraw
 *                  cancel     (while asking) the request was settled elsewhere: reply "cancelled"
 *                  end        copy what the agent left in the pty, restore TTY, exit 0
 *                End of stdin, SIGTERM, SIGINT, SIGHUP, SIGQUIT and every error also restore TTY's
 *                modes before exit (SIGKILL cannot: `stty sane` then). SIGWINCH: TTY's size goes to
 *                the pty (TIOCSWINSZ). With DIR (the private directory of this copy) it removes
 *                DIR/taskbound-tty and DIR on every one of those exits too.
 * session -- CMD  the first step of the sandbox's command line: a new session (setsid) whose
 *                controlling terminal is descriptor 0 (the pty's follower), then exec CMD in this
 *                same process. The agent then holds nothing of the real terminal, and /dev/tty is the pty.
 *
 * Every error is one line on stderr starting "taskbound-tty:" ("error ..." in relay mode); exit 125
 * on a usage error, 121 when the terminal cannot be set up, 126/127 when CMD cannot be executed.
 * Built by scripts/build-native-init.sh, static.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINES 16
#define MAX_LINE 4096
#define CODE_LEN 4
#define QUIET_MS 400
#define QUIET_MAX_MS 10000

static int tty = -1;
static int leader = -1;
static int raw_on = 0;
static struct termios saved;
static int sig_pipe[2] = {-1, -1};
static char prompt_lines[MAX_LINES][MAX_LINE];
static int prompt_count = 0;
static int prompt_lost = 0; // a prompt line was too long for the control buffer, or one too many: never ask then

static const char BANNER[] =
    "\r\n==================== taskbound: approval requested ====================\r\n"
    "This prompt is Taskbound's; the agent cannot read or draw on this screen now.\r\n"
    "Anything the agent printed above this banner is not part of it.\r\n\r\n";

static const char *own_copy_dir = NULL;

/* Restores TTY's modes and removes this program's private copy (relay TTY DIR): also when the run died. */
static void restore(void) {
  if (raw_on && tty >= 0) {
    tcsetattr(tty, TCSADRAIN, &saved);
    raw_on = 0;
  }
  if (own_copy_dir != NULL) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/taskbound-tty", own_copy_dir) < (int)sizeof path) {
      unlink(path);
    }
    rmdir(own_copy_dir);
    own_copy_dir = NULL;
  }
}

static void reply(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) {
    return;
  }
  if (n > (int)sizeof buf - 2) {
    n = sizeof buf - 2;
  }
  buf[n++] = '\n';
  ssize_t off = 0;
  while (off < n) {
    ssize_t w = write(2, buf + off, n - off);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      return;
    }
    off += w;
  }
}

static void fail(const char *what) {
  int e = errno;
  restore();
  reply("error taskbound-tty: %s: %s", what, strerror(e));
  exit(121);
}

static void drain_signals(void);

/* Writes all of p; a terminating signal that arrives while the write waits (a reader that stopped) still ends this relay. */
static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && (errno == EINTR || errno == EAGAIN)) {
      if (errno == EAGAIN) {
        struct pollfd pf[2] = {{.fd = fd, .events = POLLOUT}, {.fd = sig_pipe[0], .events = POLLIN}};
        poll(pf, 2, -1);
      }
      drain_signals();
      continue;
    }
    if (w <= 0) {
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void on_signal(int sig) {
  unsigned char s = (unsigned char)sig;
  int e = errno;
  if (write(sig_pipe[1], &s, 1) < 0) {
    // the pipe is full: enough signals are queued to wake the loop
  }
  errno = e;
}

static void forward_size(void) {
  struct winsize ws;
  if (ioctl(tty, TIOCGWINSZ, &ws) == 0) {
    ioctl(leader, TIOCSWINSZ, &ws);
  }
}

/* Handles queued signals: SIGWINCH forwards the size; a terminating one restores TTY and exits. */
static void drain_signals(void) {
  unsigned char s;
  while (read(sig_pipe[0], &s, 1) == 1) {
    if (s == SIGWINCH) {
      forward_size();
    } else {
      restore();
      signal(s, SIG_DFL);
      raise(s);
      _exit(128 + s);
    }
  }
}

/*
 * The agent's output on its way to stdout. stdout is non-blocking and the leader is read only when
 * this is empty, so a run that has stopped reading (while it asks) never keeps this relay from its
 * commands; the agent blocks once the pty's own buffer is full.
 */
static char out_buf[16384];
static size_t out_len = 0, out_off = 0;

static void read_output(void) {
  ssize_t n = read(leader, out_buf, sizeof out_buf);
  if (n > 0) {
    out_len = (size_t)n;
    out_off = 0;
  } // EAGAIN, EINTR; EIO cannot happen while the follower is held
}

/* Writes what stdout takes of out_buf; returns -1 when stdout is gone (the run ended). */
static int write_output(void) {
  ssize_t w = write(1, out_buf + out_off, out_len - out_off);
  if (w < 0) {
    return errno == EAGAIN || errno == EINTR ? 0 : -1;
  }
  out_off += (size_t)w;
  if (out_off == out_len) {
    out_len = out_off = 0;
  }
  return 0;
}

/*
 * The person's keys on their way to the agent, the same way round: the terminal is read only when
 * this is empty, and the leader is written when it takes more. A relay that waited to write keys
 * (a paste bigger than the pty's input queue, to an agent busy writing) would stop reading the
 * agent's output, and the agent, blocked writing it, would never read its keys: both would wait.
 */
static char key_buf[4096];
static size_t key_len = 0, key_off = 0;
static int leader_gone = 0;

static void write_keys(void) {
  ssize_t w = write(leader, key_buf + key_off, key_len - key_off);
  if (w > 0) {
    key_off += (size_t)w;
  } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
    key_off = key_len; // the pty takes no keys (it cannot while the follower is held): dropped, as a hung-up line would
  }
  if (key_off == key_len) {
    key_len = key_off = 0;
  }
}

/* Copies what is left in the pty (the leader is non-blocking: a read that finds nothing ends it). */
static void drain_output(void) {
  char buf[16384];
  if (out_len > out_off && write_all(1, out_buf + out_off, out_len - out_off) != 0) {
    return;
  }
  for (int i = 0; i < 4096; i++) { // bounded: an agent still writing does not hold the end up
    ssize_t n = read(leader, buf, sizeof buf);
    if (n <= 0 || write_all(1, buf, (size_t)n) != 0) {
      return;
    }
  }
}

/* Reads one control line into line (without the newline). 1: a line, 0: end of stdin, -1: none yet. */
static int control_line(char *line, size_t size) {
  static char buf[MAX_LINE * 2];
  static size_t have = 0;
  static int skipping = 0; // the rest of a line longer than the buffer: thrown away up to its newline
  for (;;) {
    char *nl = memchr(buf, '\n', have);
    if (nl != NULL && skipping) {
      size_t len = (size_t)(nl - buf);
      memmove(buf, nl + 1, have - len - 1);
      have -= len + 1;
      skipping = 0;
      continue;
    }
    if (nl != NULL) {
      size_t len = (size_t)(nl - buf);
      size_t copy = len < size - 1 ? len : size - 1;
      memcpy(line, buf, copy);
      line[copy] = '\0';
      if (copy < len && strncmp(line, "line ", 5) == 0) {
        // cut, never silently: the person sees that the line goes on (the run cuts its own lines shorter)
        static const char mark[] = " ...[cut by taskbound-tty]";
        memcpy(line + copy - (sizeof mark - 1), mark, sizeof mark);
      }
      memmove(buf, nl + 1, have - len - 1);
      have -= len + 1;
      return 1;
    }
    if (have == sizeof buf) {
      have = 0; // a line longer than the buffer: not a command; a prompt that would miss it is not shown
      skipping = 1;
      prompt_lost = 1;
    }
    ssize_t n = read(0, buf + have, sizeof buf - have);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      return -1;
    }
    if (n <= 0) {
      return 0;
    }
    have += (size_t)n;
  }
}

static void set_raw(void) {
  struct termios raw = saved;
  raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
  raw.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  // output processing stays on: Taskbound's own lines (written past this relay) keep their \r
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  if (tcsetattr(tty, TCSADRAIN, &raw) != 0) {
    fail("cannot put the terminal in raw mode");
  }
  raw_on = 1;
}

/* Letters that no one reads as another (no i, l, o) and never n, the answer that denies. */
static const char CODE_LETTERS[] = "abcdefghjkmpqrstuvwxyz";

/* A fresh code from the kernel's CSPRNG: the agent cannot know it, so no reply it provokes spells it. */
static void new_code(char code[CODE_LEN + 1]) {
  unsigned char r[CODE_LEN];
  size_t got = 0;
  while (got < sizeof r) {
    ssize_t n = getrandom(r + got, sizeof r - got, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      fail("no random bytes for the answer code");
    }
    got += (size_t)n;
  }
  for (int i = 0; i < CODE_LEN; i++) {
    code[i] = CODE_LETTERS[r[i] % (sizeof CODE_LETTERS - 1)]; // 22 letters: a small bias, no matter for a one-time code
  }
  code[CODE_LEN] = '\0';
}

static void show_prompt(void) {
  const char *reset = "\033c";
  write_all(tty, reset, strlen(reset));
  write_all(tty, BANNER, sizeof BANNER - 1);
  for (int i = 0; i < prompt_count; i++) {
    for (char *c = prompt_lines[i]; *c; c++) {
      unsigned char u = (unsigned char)*c;
      if (u < 0x20 || u == 0x7f) {
        *c = '?'; // the run escapes every field already; a control byte must not reach the screen anyway
      }
    }
    write_all(tty, prompt_lines[i], strlen(prompt_lines[i]));
    write_all(tty, "\r\n", 2);
  }
}

static void show_question(const char *code) {
  char q[160];
  snprintf(q, sizeof q, "\r\nTo approve type %s and Enter; to deny type n and Enter: ", code);
  write_all(tty, q, strlen(q));
}

/*
 * What the terminal sends that is not typed text: escape sequences (CSI, OSC, DCS, SOS, PM, APC,
 * SS2/SS3 and the other two-byte ones), as a terminal answers queries (DECRQM, DA, cursor and mouse
 * reports, title reports). They are parsed and dropped, never taken as answer letters.
 */
enum in_state { IN_TEXT, IN_ESC, IN_CSI, IN_STRING, IN_STRING_ESC, IN_SS, IN_MOUSE };
static enum in_state in_state = IN_TEXT;
static int in_skip = 0; // bytes left of an X10 mouse report (ESC [ M b x y)
static int csi_params = 0;

/* Feeds one byte from the terminal; returns it when it is typed text, -1 when it belongs to a sequence. */
static int typed(unsigned char c) {
  switch (in_state) {
    case IN_TEXT:
      if (c == 0x1b) {
        in_state = IN_ESC;
        return -1;
      }
      if (c == 0x9b) { // the 8-bit forms (C1) as well
        in_state = IN_CSI;
        csi_params = 0;
        return -1;
      }
      if (c == 0x90 || c == 0x9d || c == 0x98 || c == 0x9e || c == 0x9f) {
        in_state = IN_STRING;
        return -1;
      }
      if (c == 0x8e || c == 0x8f) {
        in_state = IN_SS;
        return -1;
      }
      return c;
    case IN_ESC:
      if (c == '[') {
        in_state = IN_CSI;
        csi_params = 0;
      } else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
        in_state = IN_STRING;
      } else if (c == 'N' || c == 'O') {
        in_state = IN_SS;
      } else if (c >= 0x20 && c <= 0x2f) {
        // an intermediate byte (ESC ( B ...): the sequence goes on to its final byte
      } else {
        in_state = IN_TEXT; // ESC and its final byte: dropped (ESC alone, then a key: that key too)
      }
      return -1;
    case IN_CSI:
      if (c >= 0x40 && c <= 0x7e) {
        if (c == 'M' && csi_params == 0) {
          in_state = IN_MOUSE; // X10 mouse report: three raw bytes follow
          in_skip = 3;
        } else {
          in_state = IN_TEXT;
        }
      } else if (c == 0x1b) {
        in_state = IN_ESC;
      } else if (c >= 0x20 && c <= 0x3f) {
        csi_params++;
      } else if (c >= 0x80 || c < 0x20) {
        // not part of a CSI; the sequence is broken: still nothing of it counts
      }
      return -1;
    case IN_MOUSE:
      if (--in_skip == 0) {
        in_state = IN_TEXT;
      }
      return -1;
    case IN_STRING:
      if (c == 0x07 || c == 0x9c) {
        in_state = IN_TEXT;
      } else if (c == 0x1b) {
        in_state = IN_STRING_ESC;
      }
      return -1;
    case IN_STRING_ESC:
      in_state = c == '\\' ? IN_TEXT : (c == 0x1b ? IN_STRING_ESC : IN_STRING);
      return -1;
    case IN_SS:
      in_state = IN_TEXT;
      return -1;
  }
  return -1;
}

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * The pause: nothing of the agent's output is read, no key reaches the pty, until an answer or
 * cancel. The answer is deliberate: a random code shown on the screen, or n, each with Enter.
 * Before the question shows, what the terminal sends is thrown away until it has been quiet for
 * QUIET_MS (replies to queries the agent made before the pause, keys typed ahead), at most
 * QUIET_MAX_MS (the code still guards what comes after).
 */
static void ask(void) {
  // Keys still queued at the terminal are thrown away with the rest, and the person is told: a paste
  // the prompt interrupts reaches the agent up to there (what the relay had read for it still goes).
  int queued = 0;
  if (ioctl(tty, FIONREAD, &queued) != 0) {
    queued = 0;
  }
  tcflush(tty, TCIFLUSH); // a key typed before the prompt was on the screen does not answer it
  show_prompt();
  if (queued > 0) {
    const char *note = "(keys you typed that the agent had not read yet were discarded: a paste may be cut here)\r\n";
    write_all(tty, note, strlen(note));
  }
  char code[CODE_LEN + 1];
  new_code(code);
  char typed_text[16];
  size_t typed_len = 0;
  int quiet = 0; // 1 once the question is up
  long started = now_ms(), last_in = started;
  char line[MAX_LINE];
  for (;;) {
    struct pollfd p[3] = {{.fd = tty, .events = POLLIN}, {.fd = 0, .events = POLLIN}, {.fd = sig_pipe[0], .events = POLLIN}};
    int timeout = -1;
    if (!quiet) {
      long now = now_ms();
      long left = last_in + QUIET_MS - now;
      if (started + QUIET_MAX_MS - now < left) {
        left = started + QUIET_MAX_MS - now;
      }
      if (left <= 0) {
        quiet = 1;
        in_state = IN_TEXT;
        show_question(code);
        continue;
      }
      timeout = (int)left;
    }
    if (poll(p, 3, timeout) < 0) {
      if (errno == EINTR) {
        continue;
      }
      fail("poll");
    }
    if (p[2].revents) {
      drain_signals();
    }
    if (p[1].revents) {
      int r;
      while ((r = control_line(line, sizeof line)) == 1) {
        if (strcmp(line, "cancel") == 0) {
          const char *m = "\r\n(answered elsewhere, or expired)\r\n";
          write_all(tty, m, strlen(m));
          reply("cancelled");
          prompt_count = 0;
          return;
        }
      }
      if (r == 0) {
        restore();
        exit(0);
      }
    }
    if (p[0].revents) {
      unsigned char buf[256];
      ssize_t n = read(tty, buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        restore();
        reply("error taskbound-tty: the terminal closed while asking");
        exit(121);
      }
      if (!quiet) {
        if (n > 0) {
          last_in = now_ms(); // not yet: thrown away, and the quiet period starts again
        }
        continue;
      }
      for (ssize_t i = 0; i < n; i++) {
        int c = typed(buf[i]);
        if (c < 0) {
          continue;
        }
        if (c == '\r' || c == '\n') {
          typed_text[typed_len] = '\0';
          int yes = typed_len == CODE_LEN && strcasecmp(typed_text, code) == 0;
          int no = typed_len == 1 && (typed_text[0] == 'n' || typed_text[0] == 'N');
          if (yes || no) {
            const char *echo = yes ? "\r\n(granted)\r\n\r\n" : "\r\n(denied)\r\n\r\n";
            write_all(tty, echo, strlen(echo));
            reply("answer %c", yes ? 'y' : 'n');
            prompt_count = 0;
            in_state = IN_TEXT;
            pid_t group = tcgetpgrp(leader);
            if (group > 0) {
              kill(-group, SIGWINCH); // a full-screen program redraws what the reset cleared
            }
            return;
          }
          if (typed_len > 0) {
            // a wrong word draws a new code: guessing gains nothing
            new_code(code);
            const char *m = "\a\r\nNot the code; nothing was decided. A new one:";
            write_all(tty, m, strlen(m));
            show_question(code);
          }
          typed_len = 0;
        } else if (c == 0x7f || c == 0x08) {
          if (typed_len > 0) {
            typed_len--;
            write_all(tty, "\b \b", 3);
          }
        } else if (c == 0x15) { // ^U
          while (typed_len > 0) {
            typed_len--;
            write_all(tty, "\b \b", 3);
          }
        } else if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) && typed_len < sizeof typed_text - 1) {
          typed_text[typed_len++] = (char)c;
          write_all(tty, (const char *)&buf[i], 1);
        } else {
          write_all(tty, "\a", 1);
        }
      }
    }
  }
}

static int relay(const char *path) {
  tty = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (tty < 0 || !isatty(tty)) {
    fail("cannot open the terminal");
  }
  if (tcgetattr(tty, &saved) != 0) {
    fail("cannot read the terminal's modes");
  }
  leader = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (leader < 0 || grantpt(leader) != 0 || unlockpt(leader) != 0) {
    fail("cannot open a pseudo-terminal");
  }
  char *name = ptsname(leader);
  if (name == NULL) {
    fail("cannot name the pseudo-terminal");
  }
  int follower = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (follower < 0) {
    fail("cannot open the pseudo-terminal's follower");
  }
  tcsetattr(follower, TCSANOW, &saved); // the agent's terminal behaves as the person's (erase key, ...)
  forward_size();
  if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    fail("pipe");
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  int sigs[] = {SIGWINCH, SIGTERM, SIGINT, SIGHUP, SIGQUIT};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    sigaction(sigs[i], &sa, NULL);
  }
  signal(SIGPIPE, SIG_IGN);
  fcntl(leader, F_SETFL, O_NONBLOCK);
  fcntl(0, F_SETFL, O_NONBLOCK);
  fcntl(1, F_SETFL, O_NONBLOCK);
  reply("pty %s", name);
  int relaying = 0;
  char line[MAX_LINE];
  for (;;) {
    short agent_events = leader_gone ? 0 : (short)((out_len ? 0 : POLLIN) | (key_len ? POLLOUT : 0));
    struct pollfd p[5] = {{.fd = agent_events ? leader : -1, .events = agent_events}, {.fd = 0, .events = POLLIN},
        {.fd = sig_pipe[0], .events = POLLIN}, {.fd = relaying && !key_len ? tty : -1, .events = POLLIN},
        {.fd = out_len ? 1 : -1, .events = POLLOUT}};
    if (poll(p, 5, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      fail("poll");
    }
    if (p[2].revents) {
      drain_signals();
    }
    if ((p[0].revents & (POLLHUP | POLLERR | POLLNVAL)) && !(p[0].revents & POLLIN)) {
      // not while this relay holds the follower; were it to happen, the keys go and the loop never spins on it
      leader_gone = 1;
      key_len = key_off = 0;
    } else if (p[0].revents && !out_len) {
      read_output();
    }
    if (p[0].revents & POLLOUT) {
      write_keys();
    }
    if (p[4].revents && write_output() != 0) {
      restore();
      exit(0); // the run is gone
    }
    if (p[3].revents) {
      ssize_t n = read(tty, key_buf, sizeof key_buf);
      if (n > 0) {
        key_len = (size_t)n;
        key_off = 0;
        write_keys();
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        relaying = 0; // the terminal hung up: the agent gets no more keys
      }
    }
    if (p[1].revents) {
      int r;
      while ((r = control_line(line, sizeof line)) == 1) {
        if (strcmp(line, "go") == 0 && !raw_on) {
          set_raw();
          relaying = 1;
        } else if (strncmp(line, "line ", 5) == 0) {
          if (prompt_count < MAX_LINES) {
            snprintf(prompt_lines[prompt_count++], MAX_LINE, "%s", line + 5);
          } else {
            prompt_lost = 1;
          }
        } else if (strcmp(line, "ask") == 0) {
          if (prompt_lost || prompt_count == 0) {
            // never ask about a request the person cannot see whole: it waits for another shell
            reply("error taskbound-tty: a prompt line was lost (too long, or too many): not asking");
            prompt_lost = 0;
            prompt_count = 0;
          } else {
            ask();
          }
        } else if (strcmp(line, "end") == 0) {
          r = 0;
          break;
        }
      }
      if (r == 0) {
        drain_output();
        restore();
        close(follower);
        return 0;
      }
    }
  }
}

static int session(char **argv) {
  if (setsid() < 0) {
    fprintf(stderr, "taskbound-tty: cannot start a new session: %s\n", strerror(errno));
    return 121;
  }
  if (ioctl(0, TIOCSCTTY, 0) != 0) {
    fprintf(stderr, "taskbound-tty: cannot make standard input the controlling terminal: %s\n", strerror(errno));
    return 121;
  }
  execvp(argv[0], argv);
  fprintf(stderr, "taskbound-tty: cannot execute %s: %s\n", argv[0], strerror(errno));
  return errno == ENOENT ? 127 : 126;
}

int main(int argc, char **argv) {
  if ((argc == 3 || argc == 4) && strcmp(argv[1], "relay") == 0) {
    own_copy_dir = argc == 4 ? argv[3] : NULL;
    return relay(argv[2]);
  }
  if (argc >= 4 && strcmp(argv[1], "session") == 0 && strcmp(argv[2], "--") == 0) {
    return session(argv + 3);
  }
  fprintf(stderr, "taskbound-tty: usage: taskbound-tty relay TTY [DIR] | taskbound-tty session -- COMMAND...\n");
  return 125;
}
