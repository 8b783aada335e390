package dev.taskbound.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

/**
 * Writes what makes Claude Code call Taskbound's hook inside the sandbox (docs/hooks.md): the hook
 * script {@code taskbound-hook} and Claude Code's managed settings, which register it for
 * {@code SessionStart}, {@code UserPromptSubmit}, {@code PreToolUse}, {@code PostToolUse} and
 * {@code Stop} with {@code allowManagedHooksOnly}, so that no user, project or local settings (a
 * {@code .claude/settings.json} the agent writes, its {@code disableAllHooks}) can switch them off
 * or add hooks of their own. The directory is shown read-only at {@link #INSIDE}, where Claude Code
 * reads managed settings on Linux. A host's own managed settings there are kept, with these hooks
 * added.
 */
final class ClaudeCodeHookFiles {
  /** Where Claude Code 2.1 reads managed settings on Linux ({@code managed-settings.json}). */
  static final Path INSIDE = Path.of("/etc/claude-code");
  static final String SETTINGS = "managed-settings.json";
  /** How Claude Code starts the hook: sh with nothing of the agent's environment. */
  static final String HOOK_COMMAND_PREFIX = "/usr/bin/env -i /bin/sh ";
  static final String SCRIPT = "taskbound-hook";
  /** The agent API's address and the hook's own capability, read by the script (never from the environment). */
  static final String CAPABILITY = "hook-capability";
  static final List<String> EVENTS = List.of("SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop");
  /**
   * Seconds Claude Code waits for the hook: longer than the script's own deadline (600 s), so the
   * script gives up first and blocks the call (exit 2); a hook Claude Code times out does not block it.
   */
  static final int TIMEOUT_SECONDS = 660;

  private ClaudeCodeHookFiles() {}

  /**
   * Writes the files into {@code dir} (created, mode 0755) and returns the placement for the
   * sandbox: {@link #INSIDE} to {@code dir}.
   *
   * @param hostManaged the host's own managed settings ({@code /etc/claude-code/managed-settings.json}),
   *     whose keys are kept; ignored when missing
   * @throws SessionException (exit 121) if the files cannot be written or the host's settings are not a JSON object
   */
  static Map<Path, Path> write(Path dir, Path hostManaged) {
    ObjectMapper json = Json.MAPPER;
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
      ObjectNode settings = json.createObjectNode();
      if (Files.isRegularFile(hostManaged, LinkOption.NOFOLLOW_LINKS)) {
        JsonNode host = json.readTree(hostManaged.toFile());
        if (!(host instanceof ObjectNode)) {
          throw new SessionException("the host's Claude Code managed settings " + hostManaged + " are not a JSON object;"
              + " Taskbound adds its hooks to them inside the sandbox, so fix or remove the file", ExitCodes.SANDBOX);
        }
        settings = (ObjectNode) host;
      }
      settings.put("allowManagedHooksOnly", true);
      settings.remove("disableAllHooks");
      ObjectNode hooks = settings.has("hooks") && settings.get("hooks").isObject() ? (ObjectNode) settings.get("hooks")
          : settings.putObject("hooks");
      // through sh: the directory may come from a noexec mount; with an empty environment, since a
      // /bin/sh that is bash would take functions (BASH_FUNC_read%%), SHELLOPTS and PS4 from the
      // agent's settings before the script's first line could refuse them (review finding)
      String command = HOOK_COMMAND_PREFIX + INSIDE.resolve(SCRIPT) + " claude-code";
      for (String event : EVENTS) {
        ArrayNode list = hooks.has(event) && hooks.get(event).isArray() ? (ArrayNode) hooks.get(event) : hooks.putArray(event);
        ObjectNode group = list.addObject();
        if (event.endsWith("ToolUse")) {
          group.put("matcher", "*");
        }
        group.putArray("hooks").addObject().put("type", "command").put("command", command).put("timeout", TIMEOUT_SECONDS);
      }
      Path settingsFile = dir.resolve(SETTINGS);
      Files.writeString(settingsFile, settings.toPrettyString() + "\n");
      Files.setPosixFilePermissions(settingsFile, PosixFilePermissions.fromString("rw-r--r--"));
      copyResource("taskbound-hook.sh", dir.resolve(SCRIPT));
      copyResource("taskbound-hook.bash", dir.resolve(SCRIPT + ".bash"));
    } catch (IOException e) {
      throw new SessionException("cannot write Claude Code's hook files into " + dir + ": " + e.getMessage(), ExitCodes.SANDBOX, e);
    }
    return Map.of(INSIDE, dir);
  }

  private static void copyResource(String name, Path to) throws IOException {
    try (InputStream in = ClaudeCodeHookFiles.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the jar");
      }
      Files.write(to, in.readAllBytes());
    }
    Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /**
   * Writes the agent API's address, the hook's capability ({@code AgentApi.hookCapability()}) and
   * the gateway's address the hook must use ({@code http://127.0.0.1:PORT}, the sandbox's own proxy
   * port) beside the script, as one line {@code API CAPABILITY PROXY}, readable by the agent's uid
   * because Claude Code runs the hook as that uid (docs/hooks.md says what that means). The hook
   * takes the gateway's address from here only, never from its environment ({@code HTTP_PROXY}
   * and the like), which the agent's project settings can set. Without a proxy port (a sandbox
   * that picks it at each start) the line has no third word and the hook refuses every event. The
   * file lives in the session's runtime directory, which teardown removes.
   *
   * @throws SessionException (exit 121) if the file cannot be written
   */
  static void writeCapability(Path dir, String apiUrl, java.util.OptionalInt proxyPort, dev.taskbound.core.broker.Secret capability) {
    Path file = dir.resolve(CAPABILITY);
    String proxy = proxyPort.isPresent() ? " http://127.0.0.1:" + proxyPort.getAsInt() : "";
    try {
      Files.writeString(Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
          apiUrl + " " + capability.reveal() + proxy + "\n");
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
    } catch (IOException e) {
      throw new SessionException("cannot write the hook's capability into " + dir + ": " + e.getMessage(), ExitCodes.SANDBOX, e);
    }
  }
}
