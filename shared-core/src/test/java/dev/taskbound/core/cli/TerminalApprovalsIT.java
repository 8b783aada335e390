package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, the prompt on the controlling terminal: {@code bin/taskbound run} under {@code script(1)}
 * (a real terminal for the run), the agent in a netns sandbox on a pseudo-terminal of its own. The
 * person's keys are fed through script's standard input, each only once the screen shows what a
 * person would wait for. The agent draws a fake prompt over its line and reads its terminal; the
 * answer must reach only Taskbound's prompt.
 */
@Timeout(300)
class TerminalApprovalsIT {
  private static final Path REPO = Path.of(System.getProperty("taskbound.repo.root")).toAbsolutePath().normalize();
  private static final Path JAR = Path.of(System.getProperty("taskbound.jar"));
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(120);
  /**
   * The agent: says which terminal it has (its controlling one, from /proc/self/stat, and the
   * device of its standard input), draws a fake prompt (erase line, then text), asks the gate (as a
   * hook does) and, once answered, reads a line from /dev/tty.
   */
  private static final String AGENT = String.join("\n",
      "echo \"INNER_CTTY=$(cut -d' ' -f7 /proc/self/stat) INNER_PTY=$(stat -L -c '%t:%T' /proc/self/fd/0)\"",
      "printf '\\033[2K\\rApprove? [y/n] (fake) '",
      "curl -sS --max-time 200 -H \"Authorization: Bearer $TASKBOUND_AGENT_TOKEN\" -H 'Content-Type: application/json'"
          + " -d '{\"action\":\"github.pr.merge\",\"target\":\"refs/pull/7\",\"reason\":\"ship it\"}'"
          + " \"$TASKBOUND_AGENT_API/v1/gate/check\"",
      "echo",
      "echo AGENT-READS-TTY",
      "IFS= read -r line </dev/tty",
      "echo \"AGENT-GOT:[$line] INNER_SIZE=$(stty size)\"",
      "");

  @TempDir Path work;
  private Path ws;

  @BeforeEach
  void workspace() throws IOException {
    ws = Files.createDirectories(work.resolve("ws"));
    Files.writeString(ws.resolve("agent.sh"), AGENT);
    AgentOwner.own(ws); // the agent runs as the workspace's owner, never root
  }

  @Test
  void theCodeTypedAtTheRealPromptGrantsExactlyTheListedRequestAndNeverReachesTheAgent() throws Exception {
    // given a run on a terminal whose agent asks for an approve action
    Screen screen = Screen.start(command("yes"), ws);

    // when the person types the code the prompt shows and Enter, then a line for the agent
    int prompt = screen.await(QUESTION, screen.await("taskbound: approval requested", 0));
    screen.type(code(screen, prompt) + "\r");
    int read = screen.await("AGENT-READS-TTY", prompt);
    resize(field(screen.text(), "OUTER_TTY=(/dev/pts/\\d+)"), "41", "123"); // SIGWINCH to the run's foreground group
    screen.type("hello\r");
    int exit = screen.waitFor();

    // then the grant is the listed request's, on the terminal channel, and the agent saw none of the answer
    String text = screen.text();
    assertThat(exit).as(text).isZero();
    assertThat(text).contains("RC=0");
    assertThat(text.substring(screen.index("taskbound: approval requested", 0)))
        .contains("approval-1 waits for approval: github.pr.merge 'refs/pull/7' (rule github.pr.merge: approve");
    assertThat(text).contains("\"decision\":\"allow\"").contains("approval-1 granted by root (terminal)");
    assertThat(text.substring(read)).contains("AGENT-GOT:[hello] INNER_SIZE=41 123"); // the code never reached the pty
    List<JsonNode> events = events("yes");
    JsonNode granted = only(events, "approval.granted");
    assertThat(granted.path("request").asText()).isEqualTo("approval-1");
    assertThat(granted.path("channel").asText()).isEqualTo("terminal");
    assertThat(granted.path("who").asText()).isEqualTo(System.getProperty("user.name")); // the owner of script's pty
    assertThat(granted.path("target").asText()).isEqualTo("refs/pull/7");
    assertThat(events.stream().filter(e -> e.path("type").asText().startsWith("approval."))).hasSize(2);
    assertTerminalOfItsOwn(text);
  }

  @Test
  void nAndEnterTypedAtTheRealPromptDeniesTheRequest() throws Exception {
    Screen screen = Screen.start(command("no"), ws);

    screen.await(QUESTION, screen.await("taskbound: approval requested", 0));
    screen.type("n\r");
    screen.await("AGENT-READS-TTY", 0);
    screen.type("after\r");
    int exit = screen.waitFor();

    String text = screen.text();
    assertThat(exit).as(text).isZero();
    assertThat(text).contains("\"decision\":\"deny\"").contains("approval-1 denied by root (terminal)")
        .contains("AGENT-GOT:[after]");
    JsonNode denied = only(events("no"), "approval.denied");
    assertThat(denied.path("channel").asText()).isEqualTo("terminal");
    assertThat(events("no").stream().filter(e -> e.path("type").asText().equals("approval.granted"))).isEmpty();
    assertTerminalOfItsOwn(text);
  }

  @Test
  void aRunStoppedWithSigtermWhileItAsksRestoresTheTerminalAndExpiresTheRequest() throws Exception {
    // given a run that shows its prompt
    Screen screen = Screen.start(command("stopped").replace(REPO.resolve("bin/taskbound") + " run",
        "sh -c 'echo RUNPID=$$; exec " + REPO.resolve("bin/taskbound") + " run \"$@\"' run"), ws);
    screen.await(QUESTION, screen.await("taskbound: approval requested", 0));

    // when the run is stopped (bin/taskbound executes the JVM in its own process)
    long pid = Long.parseLong(field(screen.text(), "RUNPID=(\\d+)"));
    ProcessHandle.of(pid).orElseThrow().destroy();
    int exit = screen.waitFor();

    // then it tears down, the request expires, the terminal has its modes back and the pty is gone
    String text = screen.text();
    assertThat(exit).as(text).isZero();
    assertThat(field(text, "RC=(\\d+)")).isEqualTo("143");
    JsonNode expired = only(events("stopped"), "approval.expired");
    assertThat(expired.path("request").asText()).isEqualTo("approval-1");
    assertThat(events("stopped").stream().filter(e -> e.path("type").asText().equals("approval.granted"))).isEmpty();
    assertThat(field(text, "MODES_AFTER=(\\S+)")).isEqualTo(field(text, "MODES_BEFORE=(\\S+)"));
  }

  @Test
  void theTerminalsRepliesToTheAgentsQueriesNeverAnswerThePrompt() throws Exception {
    // given an agent that keeps terminal queries in flight (DECRQM for bracketed paste) when it asks
    // for approval, on a terminal that answers each 150 ms later as xterm does (a terminal over ssh),
    // with ESC [ ? 2004 ; 2 $ y, then y and Enter in its reply stream
    Files.writeString(ws.resolve("agent.sh"), String.join("\n",
        "( i=0; while [ $i -lt 2000 ]; do printf '\\033[?2004$p\\n'; i=$((i+1)); sleep 0.005; done ) &",
        "loop=$!",
        "sleep 1",
        "curl -sS --max-time 200 -H \"Authorization: Bearer $TASKBOUND_AGENT_TOKEN\" -H 'Content-Type: application/json'"
            + " -d '{\"action\":\"github.pr.merge\",\"target\":\"refs/pull/7\"}' \"$TASKBOUND_AGENT_API/v1/gate/check\"",
        "echo",
        "kill $loop 2>/dev/null",
        "echo AGENT-DONE",
        ""));
    Screen screen = Screen.start(command("replies"), ws);
    screen.answerQueries("\u001b[?2004$p", "\u001b[?2004;2$yy\r", 150);

    // when the question shows, the terminal also reports the very code inside an OSC (a title report,
    // as CSI 21 t gives) and Enter, a DECRPM and Enter, and SS3 then the code and Enter (the SS3 takes
    // the code's first letter: a wrong word); only then does the person deny with n and Enter
    int prompt = screen.await(QUESTION, screen.await("taskbound: approval requested", 0));
    String code = code(screen, prompt);
    screen.type("\u001b]l" + code + "\u001b\\\r\u001b[?2004;2$y\r\u001bO" + code + "\r");
    screen.type("n\r");
    int done = screen.await("AGENT-DONE", prompt);
    int exit = screen.waitFor();

    // then nothing but the person's n answered: no grant, one denial on the terminal channel
    String text = screen.text();
    assertThat(exit).as(text).isZero();
    assertThat(text.substring(prompt, done)).contains("\"decision\":\"deny\"").contains("approval-1 denied by root (terminal)")
        .doesNotContain("(granted)");
    List<JsonNode> events = events("replies");
    assertThat(events.stream().filter(e -> e.path("type").asText().equals("approval.granted"))).isEmpty();
    assertThat(only(events, "approval.denied").path("channel").asText()).isEqualTo("terminal");
    assertThat(screen.replies()).as("replies the terminal sent").isPositive();
  }

  private static final String QUESTION = " and Enter; to deny type n and Enter: ";

  /** The code the prompt that ends at {@code prompt} shows. */
  private static String code(Screen screen, int prompt) {
    String text = screen.text().substring(0, prompt);
    Matcher m = Pattern.compile("To approve type ([a-z]{4}) and Enter").matcher(text);
    String code = null;
    while (m.find()) {
      code = m.group(1);
    }
    assertThat(code).as("the code in " + text).isNotNull();
    return code;
  }

  /**
   * The agent's controlling terminal and standard input are a pty, not the run's terminal; that pty
   * is gone once the run has ended; the run's terminal has its modes back.
   */
  private void assertTerminalOfItsOwn(String text) throws IOException {
    String outer = field(text, "OUTER_CTTY=(\\d+)");
    String inner = field(text, "INNER_CTTY=(\\d+)");
    assertThat(inner).isNotEqualTo("0").isNotEqualTo(outer);
    String[] pty = field(text, "INNER_PTY=([0-9a-f]+:[0-9a-f]+)").split(":");
    assertThat(Integer.parseInt(pty[0], 16)).as("a Unix 98 pty's major").isBetween(136, 143);
    int minor = Integer.parseInt(pty[1], 16);
    assertThat(Integer.parseInt(inner)).as("its controlling terminal is its stdin's pty")
        .isEqualTo((minor & 0xff) | (Integer.parseInt(pty[0], 16) << 8) | ((minor & ~0xff) << 12));
    Path node = Path.of("/dev/pts", Integer.toString(minor));
    long endedAt = Long.parseLong(field(text, "ENDED_AT=(\\d+)"));
    // gone, or (pty numbers are reused, lowest first) a new one made since by someone else
    assertThat(!Files.exists(node) || ctime(node) >= endedAt).as(node + " after the run").isTrue();
    assertThat(field(text, "MODES_AFTER=(\\S+)")).isEqualTo(field(text, "MODES_BEFORE=(\\S+)"));
  }

  /** Changes the terminal's size as a window would: the kernel signals its foreground group. */
  private static void resize(String tty, String rows, String cols) throws Exception {
    Process p = new ProcessBuilder("stty", "-F", tty, "rows", rows, "cols", cols).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }

  private static long ctime(Path node) throws IOException {
    return ((java.nio.file.attribute.FileTime) Files.getAttribute(node, "unix:ctime")).to(TimeUnit.SECONDS);
  }

  private static String field(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertThat(m.find()).as(regex + " in " + text).isTrue();
    return m.group(1);
  }

  /** What script runs on its terminal: the run between the terminal's modes before and after. */
  private String command(String name) throws IOException {
    Path policy = Files.writeString(work.resolve(name + ".yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
        + "  ttl: 5m\n  sandbox: {backends: [netns]}\n  gate:\n    hooks: [claude-code]\n"
        + "    rules: [{action: github.pr.merge, decision: approve}]\n    approval: {timeout: 3m}\n");
    return "echo \"OUTER_CTTY=$(cut -d' ' -f7 /proc/self/stat) OUTER_TTY=$(tty) MODES_BEFORE=$(stty -g)\"; "
        + REPO.resolve("bin/taskbound") + " run --task TTY-1 --policy " + policy + " --out " + work.resolve("out-" + name)
        + " -- sh ./agent.sh; echo \"RC=$? ENDED_AT=$(date +%s) MODES_AFTER=$(stty -g)\"";
  }

  private List<JsonNode> events(String name) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : RunArtifacts.bundleText(work.resolve("out-" + name), "events.jsonl").split("\n")) {
      if (!line.isBlank()) {
        out.add(JSON.readTree(line));
      }
    }
    return out;
  }

  private static JsonNode only(List<JsonNode> events, String type) {
    List<JsonNode> found = events.stream().filter(e -> e.path("type").asText().equals(type)).map(e -> e.path("data")).toList();
    assertThat(found).as(type).hasSize(1);
    return found.get(0);
  }

  /** script(1) running a command on a new terminal: what it shows, and keys typed into it. */
  private static final class Screen {
    private final Process process;
    private final StringBuilder shown = new StringBuilder();

    private Screen(Process process) {
      this.process = process;
      Thread reader = new Thread(this::read, "screen-reader");
      reader.setDaemon(true);
      reader.start();
    }

    static Screen start(String command, Path dir) throws IOException {
      ProcessBuilder pb = new ProcessBuilder("script", "-qfec", command, "/dev/null").directory(dir.toFile())
          .redirectErrorStream(true);
      pb.environment().put("TASKBOUND_JAR", JAR.toString());
      pb.environment().put("TERM", "xterm");
      return new Screen(pb.start());
    }

    private void read() {
      byte[] buf = new byte[8192];
      try (InputStream in = process.getInputStream()) {
        for (int n; (n = in.read(buf)) > 0; ) {
          synchronized (shown) {
            shown.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            answerNewQueries();
            shown.notifyAll();
          }
        }
      } catch (IOException e) {
        // script ended
      }
      synchronized (shown) {
        shown.append('\u0000'); // the end: nothing more will show
        shown.notifyAll();
      }
    }

    /** Waits (at most {@link #WAIT}) until {@code text} shows at or after {@code from}; returns where it ends. */
    int await(String text, int from) throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      synchronized (shown) {
        while (true) {
          int i = shown.indexOf(text, from);
          if (i >= 0) {
            return i + text.length();
          }
          long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
          if (left <= 0 || shown.indexOf("\u0000") >= 0) {
            throw new AssertionError("the screen never showed " + text + ":\n" + shown);
          }
          shown.wait(left);
        }
      }
    }

    private final java.util.concurrent.ScheduledExecutorService terminal = java.util.concurrent.Executors
        .newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "fake-terminal");
          t.setDaemon(true);
          return t;
        });
    private volatile String query;
    private volatile String answer;
    private volatile long delayMillis;
    private int seen;
    private final java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();

    /** From now on, answers every {@code query} shown with {@code reply} on the terminal's input, {@code delayMillis} later. */
    void answerQueries(String query, String reply, long delayMillis) {
      this.delayMillis = delayMillis;
      this.answer = reply;
      this.query = query;
    }

    int replies() {
      return sent.get();
    }

    private void answerNewQueries() { // under shown's lock
      String q = query;
      if (q == null) {
        return;
      }
      for (int i; (i = shown.indexOf(q, seen)) >= 0; ) {
        seen = i + q.length();
        terminal.schedule(() -> {
          try {
            type(answer);
            sent.incrementAndGet();
          } catch (IOException e) {
            // script ended
          }
        }, delayMillis, TimeUnit.MILLISECONDS);
      }
    }

    int index(String text, int from) {
      synchronized (shown) {
        return shown.indexOf(text, from);
      }
    }

    void type(String keys) throws IOException {
      OutputStream in = process.getOutputStream();
      synchronized (in) {
        in.write(keys.getBytes(StandardCharsets.UTF_8));
        in.flush();
      }
    }

    int waitFor() throws Exception {
      if (!process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("the run did not end:\n" + text());
      }
      await("\u0000", 0);
      return process.exitValue();
    }

    String text() {
      synchronized (shown) {
        return shown.toString();
      }
    }
  }
}
