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
 * claude-code}, the event on stdin), against the real agent API on loopback; the proxy variable
 * points straight at the API, which serves the absolute-form request as the gateway would forward it.
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
    ClaudeCodeHookFiles.writeCapability(dir, api.agentUrl(), api.hookCapability());
    return dir;
  }

  private record Run(int exit, String out, String err) {}

  private Run run(Path dir, String client, Map<String, String> extraEnv) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("/bin/sh", dir.resolve(ClaudeCodeHookFiles.SCRIPT).toString(), "claude-code");
    pb.environment().clear();
    pb.environment().put("HTTP_PROXY", "http://127.0.0.1:" + api.port());
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
