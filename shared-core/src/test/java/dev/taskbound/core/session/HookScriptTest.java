package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.gate.AgentApi;
import dev.taskbound.core.gate.AgentApiConfig;
import dev.taskbound.core.gate.HookHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 16: the placed hook script, run as Claude Code runs it ({@code /bin/sh taskbound-hook
 * claude-code}, the event on stdin), against the real agent API on loopback; the gateway's address
 * in the hook's capability file points straight at the API, which serves the absolute-form request
 * as the gateway would forward it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HookScriptTest {
  private static final String EVENT = "{\"hook_event_name\":\"UserPromptSubmit\",\"session_id\":\"c1\",\"prompt\":\"caf\u00e9 \\\"q\\\"\"}";

  @TempDir Path tmp;
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private AgentApi api;

  @AfterEach
  void stop() {
    if (api != null) {
      api.close();
    }
  }

  private Path place(HookHandler handler) {
    api = AgentApi.start(AgentApiConfig.builder().hooks(handler).build());
    Path dir = tmp.resolve("claude-code");
    ClaudeCodeHookFiles.write(dir, tmp.resolve("no-host-settings.json"));
    ClaudeCodeHookFiles.writeCapability(dir, api.agentUrl(), java.util.OptionalInt.of(api.port()), api.hookCapability());
    return dir;
  }

  /** As {@link #place}, but the capability file names {@code gatewayPort} as the gateway's address. */
  private Path placeWithGatewayAt(int gatewayPort) throws java.io.IOException {
    api = AgentApi.start(AgentApiConfig.builder().hooks((endpoint, event) -> HookHandler.Answer.ok(Map.of())).build());
    Path dir = tmp.resolve("claude-code");
    ClaudeCodeHookFiles.write(dir, tmp.resolve("no-host-settings.json"));
    ClaudeCodeHookFiles.writeCapability(dir, api.agentUrl(), java.util.OptionalInt.of(gatewayPort), api.hookCapability());
    return dir;
  }

  private record Run(int exit, String out, String err) {}

  /** Starts the hook as Claude Code does and gives it {@code event} on stdin. */
  private static Process start(Path dir, String client, Map<String, String> extraEnv, String event) throws java.io.IOException {
    ProcessBuilder pb = new ProcessBuilder("/bin/sh", dir.resolve(ClaudeCodeHookFiles.SCRIPT).toString(), "claude-code");
    pb.environment().clear();
    pb.environment().put("TASKBOUND_HOOK_CLIENT", client);
    pb.environment().putAll(extraEnv);
    Process p = pb.start();
    try (var stdin = p.getOutputStream()) {
      stdin.write(event.getBytes(StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      // a hook that refuses before reading the event closes its end: the exit code and stderr say why
    }
    return p;
  }

  private Run run(Path dir, String client, Map<String, String> extraEnv) throws Exception {
    Process p = start(dir, client, extraEnv, EVENT);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out, err);
  }

  @ParameterizedTest
  @ValueSource(strings = {"bash", "curl"})
  void theHookPostsTheEventWithItsOwnCapabilityAndPrintsTheSessionsAnswer(String client) throws Exception {
    Path dir = place((endpoint, event) -> {
      seen.add(endpoint + " " + event.path("prompt").asText());
      return HookHandler.Answer.ok(Map.of("hookSpecificOutput", Map.of("additionalContext", "ok \u00e9")));
    });

    Run r = run(dir, client, Map.of());

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("{\"hookSpecificOutput\":{\"additionalContext\":\"ok \u00e9\"}}\n");
    assertThat(seen).containsExactly("hooks/claude-code caf\u00e9 \"q\"");
  }

  /**
   * Review finding: where /bin/sh is bash, a function in the environment (a settings' env can set
   * BASH_FUNC_read%%) replaced the script's first `read` and the hook exited 0, allowing the call.
   * The placed command starts sh with an empty environment; here bash in POSIX mode stands in for a
   * /bin/sh that is bash.
   */
  @Test
  void thePlacedCommandGivesAShThatIsBashNoFunctionsFromTheAgentsEnvironment() throws Exception {
    Path dir = place((endpoint, event) -> HookHandler.Answer.error(403, "denied", "the gate refused it"));
    String placed = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve(ClaudeCodeHookFiles.SETTINGS)
        .toFile()).path("hooks").path("PreToolUse").path(0).path("hooks").path(0).path("command").asText();
    assertThat(placed).startsWith(ClaudeCodeHookFiles.HOOK_COMMAND_PREFIX);
    String command = placed.replace("/bin/sh ", "/bin/bash --posix ")
        .replace(ClaudeCodeHookFiles.INSIDE.toString(), dir.toString());
    ProcessBuilder pb = new ProcessBuilder(command.split(" ")); // no shell between: dash would drop the function
    pb.environment().put("BASH_FUNC_read%%", "() { exit 0; }");
    Process p = pb.start();
    try (var stdin = p.getOutputStream()) {
      stdin.write(EVENT.getBytes(StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      // refused before reading: the exit code says so
    }
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();

    assertThat(p.exitValue()).as(err).isEqualTo(2);
    assertThat(err).contains("HTTP 403");
  }

  @ParameterizedTest
  @ValueSource(strings = {"bash", "curl"})
  void aRefusalFromTheSessionBlocksWithItsMessage(String client) throws Exception {
    Path dir = place((endpoint, event) -> HookHandler.Answer.error(429, "budget_exhausted", "cap reached"));

    Run r = run(dir, client, Map.of());

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("HTTP 429").contains("cap reached");
  }

  @ParameterizedTest
  @ValueSource(strings = {"bash", "curl"})
  void theAgentsEnvironmentCannotRedirectTheHookOrSwapItsTools(String client) throws Exception {
    Path dir = place((endpoint, event) -> {
      seen.add(endpoint);
      return HookHandler.Answer.ok(Map.of());
    });
    Path fakeBin = Files.createDirectory(tmp.resolve("bin"));
    for (String tool : List.of("curl", "cat", "bash")) {
      Path fake = fakeBin.resolve(tool);
      Files.writeString(fake, "#!/bin/sh\necho '{\"hijacked\":true}'\n");
      Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    Run r = run(dir, client, Map.of("PATH", fakeBin + ":/usr/bin:/bin", "TASKBOUND_AGENT_API", "http://127.0.0.1:9",
        "TASKBOUND_AGENT_TOKEN", api.capability().reveal(), "HOME", tmp.toString(), "CURL_HOME", tmp.toString()));

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("{}\n");
    assertThat(seen).containsExactly("hooks/claude-code");
  }

  /**
   * Review finding (MEDIUM): the hook took the gateway's address from HTTP_PROXY, which the agent
   * can set in a project settings file's {@code env}; a listener of the agent's own on the
   * sandbox's loopback then answered {@code {}} and every tool call went on. The address now comes
   * from the capability file only, and bash runs without BASH_ENV (which could answer for it too).
   */
  @ParameterizedTest
  @ValueSource(strings = {"bash", "curl"})
  void aHostileProxyInTheHooksEnvironmentDoesNotAnswerForTheGate(String client) throws Exception {
    // given a gate that denies the call, and a listener of the agent's own that allows everything
    Path dir = place((endpoint, event) -> {
      seen.add(endpoint);
      return HookHandler.Answer.ok(Map.of("hookSpecificOutput", Map.of("hookEventName", "PreToolUse",
          "permissionDecision", "deny", "permissionDecisionReason", "the gate refused it")));
    });
    Path bashEnv = Files.writeString(tmp.resolve("bash-env"), "echo '{}'; exit 0\n");
    try (AllowEverything agents = new AllowEverything()) {
      String proxy = "http://127.0.0.1:" + agents.port();

      // when the hook runs with the agent's proxy in every variable a client reads
      Run r = run(dir, client, Map.of("HTTP_PROXY", proxy, "http_proxy", proxy, "ALL_PROXY", proxy, "all_proxy", proxy,
          "HTTPS_PROXY", proxy, "NO_PROXY", "*", "no_proxy", "*", "BASH_ENV", bashEnv.toString()));

      // then the session decided, and its denial is what the hook printed
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(r.out()).startsWith("{\"hookSpecificOutput\":{").endsWith("}}\n")
          .contains("\"permissionDecision\":\"deny\"", "\"permissionDecisionReason\":\"the gate refused it\"");
      assertThat(seen).containsExactly("hooks/claude-code");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"bash", "curl"})
  void aCapabilityFileWithoutTheGatewaysAddressBlocks(String client) throws Exception {
    Path dir = place((endpoint, event) -> HookHandler.Answer.ok(Map.of()));
    Path file = dir.resolve(ClaudeCodeHookFiles.CAPABILITY);
    String line = Files.readString(file);
    Files.delete(file);
    Files.writeString(file, line.substring(0, line.lastIndexOf(' ')) + "\n");

    Run r = run(dir, client, Map.of("HTTP_PROXY", "http://127.0.0.1:" + api.port()));

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("names no gateway address").contains("refused");
  }

  /** A listener of the agent's own: answers every request {@code 200 {}}, as a hook that allows. */
  private static final class AllowEverything implements AutoCloseable {
    private final java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    private final Thread thread = new Thread(this::serve, "allow-everything");

    AllowEverything() throws java.io.IOException {
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private void serve() {
      while (!server.isClosed()) {
        try (java.net.Socket s = server.accept()) {
          readRequest(s.getInputStream());
          s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
              .getBytes(StandardCharsets.US_ASCII));
        } catch (java.io.IOException | RuntimeException e) {
          // closed, or a client that went away
        }
      }
    }

    /** Reads one request: its head, then as many bytes as its Content-Length says. */
    static void readRequest(java.io.InputStream in) throws java.io.IOException {
      long length = 0;
      for (String line; (line = readLine(in)) != null && !line.isEmpty(); ) {
        if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
          length = Long.parseLong(line.substring(15).strip());
        }
      }
      in.skipNBytes(length);
    }

    private static String readLine(java.io.InputStream in) throws java.io.IOException {
      StringBuilder b = new StringBuilder();
      for (int c; (c = in.read()) != '\n'; ) {
        if (c < 0) {
          return null;
        }
        b.append((char) c);
      }
      return b.toString().strip();
    }

    @Override
    public void close() throws java.io.IOException {
      server.close();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"bash", "curl"})
  void withoutItsCapabilityFileTheHookBlocks(String client) throws Exception {
    Path dir = place((endpoint, event) -> HookHandler.Answer.ok(Map.of()));
    Files.delete(dir.resolve(ClaudeCodeHookFiles.CAPABILITY));

    Run r = run(dir, client, Map.of("TASKBOUND_AGENT_TOKEN", api.capability().reveal(), "TASKBOUND_AGENT_API", api.agentUrl()));

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("hook-capability").contains("refused");
  }

  /**
   * Review finding: a hook Claude Code times out does not block the call it asks about, so the
   * script's own deadline (the whole exchange, bash's and curl's) ends first, and the script then
   * blocks (exit 2). Nothing waits on a number of its own, and the environment may only shorten it.
   */
  @org.junit.jupiter.api.Test
  void theScriptsDeadlineEndsBeforeClaudeCodesTimeoutForTheHook() throws Exception {
    Path dir = place((endpoint, event) -> HookHandler.Answer.ok(Map.of()));
    String settings = Files.readString(dir.resolve(ClaudeCodeHookFiles.SETTINGS));
    String sh = Files.readString(dir.resolve(ClaudeCodeHookFiles.SCRIPT));
    String scripts = sh + Files.readString(dir.resolve("taskbound-hook.bash"));

    java.util.regex.Matcher limit = java.util.regex.Pattern.compile("(?m)^limit=([0-9]+)$").matcher(sh);
    java.util.regex.Matcher t = java.util.regex.Pattern.compile("\"timeout\"\\s*:\\s*([0-9]+)").matcher(settings);

    assertThat(limit.find()).as(sh).isTrue();
    assertThat(t.find()).as(settings).isTrue();
    assertThat(Integer.parseInt(limit.group(1))).isLessThan(Integer.parseInt(t.group(1)));
    assertThat(scripts).doesNotContainPattern("(?:--max-time|-t) [0-9]")
        .contains("[1-9]|[1-9][0-9]|[1-5][0-9][0-9]) limit=$TASKBOUND_HOOK_DEADLINE");
  }

  /**
   * Review suspicion (confirmed): the bash client wrote the event with no deadline; only its reads
   * had one. A gateway that never reads (an agent API the agent has tied up) held a large event's
   * hook until Claude Code's own timeout, which does not block the call. Now the whole exchange ends
   * by the deadline and the call is blocked. The deadline is shortened here through
   * TASKBOUND_HOOK_DEADLINE; the listener accepts and never reads, with a small receive buffer.
   */
  @ParameterizedTest
  @ValueSource(strings = {"bash", "curl"})
  void aGatewayThatNeverReadsALargeEventBlocksTheCallOnceTheDeadlinePasses(String client) throws Exception {
    // given a gateway address where a listener accepts and never reads
    try (java.net.ServerSocket stalled = new java.net.ServerSocket()) {
      stalled.setReceiveBufferSize(4096);
      stalled.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
      List<java.net.Socket> held = new CopyOnWriteArrayList<>();
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            held.add(stalled.accept());
          }
        } catch (java.io.IOException closed) {
          // the test is over
        }
      }, "accepts-never-reads");
      acceptor.setDaemon(true);
      acceptor.start();
      Path dir = placeWithGatewayAt(stalled.getLocalPort());
      String large = "{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"c1\",\"tool_name\":\"Write\","
          + "\"tool_input\":{\"file_path\":\"/w/big\",\"content\":\"" + "x".repeat(8 << 20) + "\"}}";

      // when the hook sends a Write of 8 MiB with a 2 s deadline
      Process p = start(dir, client, Map.of("TASKBOUND_HOOK_DEADLINE", "2"), large);
      boolean ended = p.waitFor(40, TimeUnit.SECONDS);
      if (!ended) {
        p.destroyForcibly();
      }

      // then it has ended by itself, blocking the call (exit 2), and said why
      assertThat(ended).as("the hook ended by its own deadline").isTrue();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as(err).isEqualTo(2);
      assertThat(err).contains("within 2 s").contains("refused");
      assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEmpty();
      for (java.net.Socket s : held) {
        s.close();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"bash", "curl"})
  void aRefusedConnectionBlocksTheCall(String client) throws Exception {
    int closed;
    try (java.net.ServerSocket gone = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = gone.getLocalPort();
    }
    Path dir = placeWithGatewayAt(closed);

    Run r = run(dir, client, Map.of());

    assertThat(r.exit()).as(r.err()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("refused");
  }

  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> shortAnswers() {
    return java.util.stream.Stream.of("bash", "curl").flatMap(client -> java.util.stream.Stream.of(
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}", // the body cut short
        "HTTP/1.1 200 OK\r\nContent-Le", // the head cut short
        "" // no answer at all
    ).map(answer -> org.junit.jupiter.params.provider.Arguments.of(client, answer)));
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.MethodSource("shortAnswers")
  void aShortAnswerBlocksTheCall(String client, String answer) throws Exception {
    try (AnswersOnce gateway = new AnswersOnce(answer)) {
      Path dir = placeWithGatewayAt(gateway.port());

      Run r = run(dir, client, Map.of());

      assertThat(r.exit()).as(r.err()).isEqualTo(2);
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).contains("refused");
    }
  }

  /** A gateway that reads each request whole, then sends {@code answer} and closes. */
  private static final class AnswersOnce implements AutoCloseable {
    private final java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());

    AnswersOnce(String answer) throws java.io.IOException {
      Thread t = new Thread(() -> {
        while (!server.isClosed()) {
          try (java.net.Socket s = server.accept()) {
            AllowEverything.readRequest(s.getInputStream());
            s.getOutputStream().write(answer.getBytes(StandardCharsets.US_ASCII));
          } catch (java.io.IOException | RuntimeException e) {
            // closed, or a client that went away
          }
        }
      }, "answers-once");
      t.setDaemon(true);
      t.start();
    }

    int port() {
      return server.getLocalPort();
    }

    @Override
    public void close() throws java.io.IOException {
      server.close();
    }
  }
}
