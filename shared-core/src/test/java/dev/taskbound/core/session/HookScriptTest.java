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

  private record Run(int exit, String out, String err) {}

  private Run run(Path dir, String client, Map<String, String> extraEnv) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("/bin/sh", dir.resolve(ClaudeCodeHookFiles.SCRIPT).toString(), "claude-code");
    pb.environment().clear();
    pb.environment().put("TASKBOUND_HOOK_CLIENT", client);
    pb.environment().putAll(extraEnv);
    Process p = pb.start();
    try (var stdin = p.getOutputStream()) {
      stdin.write(EVENT.getBytes(StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      // a hook that refuses before reading the event closes its end: the exit code and stderr say why
    }
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
          var in = new java.io.DataInputStream(s.getInputStream());
          long length = 0;
          for (String line; (line = readLine(in)) != null && !line.isEmpty(); ) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
              length = Long.parseLong(line.substring(15).strip());
            }
          }
          in.skipNBytes(length);
          s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
              .getBytes(StandardCharsets.US_ASCII));
        } catch (java.io.IOException | RuntimeException e) {
          // closed, or a client that went away
        }
      }
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
   * script's own deadlines (curl's and bash's) end first, and the script then blocks (exit 2).
   */
  @org.junit.jupiter.api.Test
  void theScriptsDeadlinesEndBeforeClaudeCodesTimeoutForTheHook() throws Exception {
    Path dir = place((endpoint, event) -> HookHandler.Answer.ok(Map.of()));
    String settings = Files.readString(dir.resolve(ClaudeCodeHookFiles.SETTINGS));
    String scripts = Files.readString(dir.resolve(ClaudeCodeHookFiles.SCRIPT)) + Files.readString(dir.resolve("taskbound-hook.bash"));

    java.util.List<Integer> deadlines = new java.util.ArrayList<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:--max-time|-t) ([0-9]+)").matcher(scripts);
    while (m.find()) {
      deadlines.add(Integer.parseInt(m.group(1)));
    }
    java.util.regex.Matcher t = java.util.regex.Pattern.compile("\"timeout\"\\s*:\\s*([0-9]+)").matcher(settings);

    assertThat(t.find()).as(settings).isTrue();
    assertThat(deadlines).isNotEmpty().allSatisfy(d -> assertThat(d).isLessThan(Integer.parseInt(t.group(1))));
  }
}
