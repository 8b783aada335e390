package dev.taskbound.core.gate;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Maps a Claude Code tool call (its hook input's {@code tool_name} and {@code tool_input}) to a
 * {@link ToolCall}: {@code Bash} to {@code tool.bash} with the command line, {@code Edit},
 * {@code MultiEdit}, {@code Write} and {@code NotebookEdit} to {@code tool.write} with the path,
 * {@code WebFetch} to {@code tool.web_fetch} with the URL's host, {@code mcp__server__tool} to
 * {@code tool.mcp.<server>.<tool>}, any other tool to {@code tool.<name>} ({@code Read} to
 * {@code tool.read}). Stateless.
 */
public final class ClaudeCodeTools {
  private ClaudeCodeTools() {}

  /**
   * @param id the call's {@code tool_use_id}
   * @param name {@code tool_name}
   * @param input {@code tool_input}
   * @param currentBranch the ref HEAD names in the agent's working directory, {@code ""} if unknown
   */
  public static ToolCall of(String id, String name, JsonNode input, String currentBranch) {
    return of(id, name, input, currentBranch, java.util.function.UnaryOperator.identity());
  }

  /**
   * As above, with each value of a tool without a known target masked by {@code mask} before its
   * summary is made: the summary cuts long values, and a secret cut in two would escape masking.
   */
  public static ToolCall of(String id, String name, JsonNode input, String currentBranch,
      java.util.function.UnaryOperator<String> mask) {
    switch (name) {
      case "Bash": {
        String command = input.path("command").asText("");
        List<String> pushes = new ArrayList<>();
        List<String> deletes = new ArrayList<>();
        // The branch is read before the line runs: after a command that may change it (cd, git
        // checkout...), a push of HEAD or without refspecs names a branch this reader does not know.
        String branch = currentBranch;
        ShellCommands.Split line = ShellCommands.split(command);
        for (String simple : line.commands()) {
          ShellCommands.gitPush(simple, branch).ifPresent(p -> {
            pushes.addAll(p.updates());
            deletes.addAll(p.deletes());
          });
          if (ShellCommands.mayMoveHead(simple)) {
            branch = "";
          }
        }
        if (!line.quotesClose() && command.contains("push")) {
          pushes.add(ToolCall.UNKNOWN_REF); // this reader and the shell may split the line differently
        }
        return new ToolCall(id, name, "tool.bash", command, ToolCall.summarise(command), whole(command), pushes, deletes);
      }
      case "Edit": case "MultiEdit": case "Write": case "NotebookEdit": {
        String path = input.path("file_path").asText(input.path("notebook_path").asText(""));
        return new ToolCall(id, name, "tool.write", normalised(path), ToolCall.summarise(path), whole(path), List.of(), List.of());
      }
      case "WebFetch": {
        String url = input.path("url").asText("");
        return new ToolCall(id, name, "tool.web_fetch", host(url), ToolCall.summarise(url), whole(url), List.of(), List.of());
      }
      default:
        String summary = summaryOf(input, mask);
        return new ToolCall(id, name, action(name), "", ToolCall.summarise(summary),
            whole(summary) && !anyValueCut(input), List.of(), List.of());
    }
  }

  /**
   * A {@code taskbound gate check} of a {@code tool.*} action, read as the same call through the
   * agent's hooks is: a {@code tool.bash} target as a command line (its pushes and ref deletions
   * found, with the branch unknown, so a push of HEAD is one of unnamed refs), a {@code tool.write}
   * target as a path (normalised), a {@code tool.web_fetch} target as a URL (its host; none, and the
   * gate refuses). Any other tool's target is matched as given.
   */
  public static ToolCall ofGateCheck(String action, String target) {
    com.fasterxml.jackson.databind.node.ObjectNode input = dev.taskbound.core.Json.MAPPER.createObjectNode();
    switch (action) {
      case "tool.bash":
        return of("", "Bash", input.put("command", target), "");
      case "tool.write":
        return of("", "Write", input.put("file_path", target), "");
      case "tool.web_fetch":
        return of("", "WebFetch", input.put("url", target), "");
      default:
        return new ToolCall("", "", action, target, target, whole(target), List.of(), List.of());
    }
  }

  /**
   * A path as rules match it: {@code .}, {@code ..} and repeated slashes resolved, so
   * {@code .github/./workflows/ci.yml} meets the rule for {@code .github/workflows/**}. Links are not
   * followed: the agent may change them between the check and the write.
   */
  static String normalised(String path) {
    try {
      return path.isEmpty() ? path : java.nio.file.Path.of(path).normalize().toString();
    } catch (java.nio.file.InvalidPathException e) {
      return path; // no file has such a name (a NUL): nothing to match it to
    }
  }

  /** The schemes a browser's URL parser reads an authority in whatever slashes follow ("https:host/"). */
  private static final java.util.Set<String> SPECIAL_SCHEMES = java.util.Set.of("http", "https", "ws", "wss", "ftp");

  /**
   * The URL's host as a browser's URL parser reads it (WHATWG: tabs and newlines dropped; for http(s)
   * any run of {@code /} and {@code \} after the scheme's colon; the authority up to {@code / ? #} or
   * a backslash, without user info or port), in the canonical form egress rules use (IDNA, lower
   * case, no trailing dot); {@code ""} when there is none, which the gate refuses rather than lets a
   * rule miss ({@code https://pastebin.com/a b} is no Java URI, and was judged as having no host).
   */
  static String host(String url) {
    String u = url.strip().replaceAll("[\\t\\n\\r]", "");
    int colon = u.indexOf(':');
    if (colon <= 0 || !SPECIAL_SCHEMES.contains(u.substring(0, colon).toLowerCase(Locale.ROOT))) {
      return "";
    }
    int start = colon + 1;
    while (start < u.length() && (u.charAt(start) == '/' || u.charAt(start) == '\\')) {
      start++;
    }
    int end = start;
    while (end < u.length() && "/?#\\".indexOf(u.charAt(end)) < 0) {
      end++;
    }
    String authority = u.substring(start, end);
    String host = authority.substring(authority.lastIndexOf('@') + 1);
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      host = close < 0 ? "" : host.substring(1, close);
    } else if (host.indexOf(':') >= 0) {
      host = host.substring(0, host.indexOf(':'));
    }
    try {
      return host.isEmpty() ? "" : dev.taskbound.core.egress.RuleSet.canonicalHost(host);
    } catch (RuntimeException unreadable) { // not a name or address egress could allow either
      return "";
    }
  }

  /** {@code tool.mcp.<server>.<tool>} for {@code mcp__server__tool}, else {@code tool.<name>} in snake case. */
  static String action(String name) {
    if (name.startsWith("mcp__")) {
      String[] parts = name.substring(5).split("__", 2);
      return "tool.mcp." + label(parts[0]) + (parts.length > 1 ? "." + label(parts[1]) : "");
    }
    return "tool." + label(name.replaceAll("([a-z0-9])([A-Z])", "$1_$2"));
  }

  /** A gate action label: lower case, {@code [a-z0-9_-]}, starting with a letter. */
  private static String label(String s) {
    String l = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "_");
    if (l.isEmpty() || l.charAt(0) < 'a' || l.charAt(0) > 'z') {
      l = "x" + l;
    }
    return l.length() > 64 ? l.substring(0, 64) : l;
  }

  private static boolean whole(String text) {
    return ToolCall.showsWhole(text);
  }

  /** Whether a summary of {@code input} cuts one of its values ({@link #MAX_SHOWN_VALUE}). */
  private static boolean anyValueCut(JsonNode input) {
    if (!input.isObject()) {
      return false;
    }
    for (java.util.Iterator<JsonNode> values = input.elements(); values.hasNext(); ) {
      if (text(values.next()).length() > MAX_SHOWN_VALUE) {
        return true;
      }
    }
    return false;
  }

  /** The longest string value shown whole in a summary of a tool's input; longer ones are cut. */
  private static final int MAX_SHOWN_VALUE = 200;

  /**
   * For tools without a known target (MCP tools, Read, Grep...): the whole input, as compact JSON,
   * shortest values first and each string masked, then cut when long, so a person asked to approve
   * sees every argument (the repository, the pull request), not one field the agent fills as it likes
   * ({@code description}). A summary still longer than {@link ToolCall#SUMMARY_LIMIT} is never put to
   * a person (the approval gate refuses it without asking).
   */
  private static String summaryOf(JsonNode input, java.util.function.UnaryOperator<String> mask) {
    if (!input.isObject()) {
      return input.isMissingNode() || input.isNull() ? "" : mask.apply(input.toString());
    }
    List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
    input.fields().forEachRemaining(f -> fields.add(Map.entry(f.getKey(), masked(f.getValue(), mask))));
    fields.sort(java.util.Comparator.comparingInt(f -> text(f.getValue()).length())); // stable: short ones, in order, first
    com.fasterxml.jackson.databind.node.ObjectNode shown = dev.taskbound.core.Json.MAPPER.createObjectNode();
    for (Map.Entry<String, JsonNode> f : fields) {
      String text = text(f.getValue());
      String key = mask.apply(f.getKey());
      if (text.length() > MAX_SHOWN_VALUE) {
        shown.put(key, text.substring(0, MAX_SHOWN_VALUE) + "\u2026(" + text.length() + " chars)");
      } else {
        shown.set(key, f.getValue());
      }
    }
    return shown.toString();
  }

  /** A string value as it reads, anything else as JSON. */
  private static String text(JsonNode node) {
    return node.isTextual() ? node.asText() : node.toString();
  }

  /** {@code node} with every string and key in it masked (before JSON escapes a secret's quotes or backslashes). */
  private static JsonNode masked(JsonNode node, java.util.function.UnaryOperator<String> mask) {
    if (node.isTextual()) {
      return com.fasterxml.jackson.databind.node.TextNode.valueOf(mask.apply(node.asText()));
    }
    if (node.isArray()) {
      com.fasterxml.jackson.databind.node.ArrayNode out = dev.taskbound.core.Json.MAPPER.createArrayNode();
      node.forEach(e -> out.add(masked(e, mask)));
      return out;
    }
    if (node.isObject()) {
      com.fasterxml.jackson.databind.node.ObjectNode out = dev.taskbound.core.Json.MAPPER.createObjectNode();
      node.fields().forEachRemaining(f -> out.set(mask.apply(f.getKey()), masked(f.getValue(), mask)));
      return out;
    }
    String text = node.asText(); // a number or literal: shown as text when it holds a secret
    String m = mask.apply(text);
    return m.equals(text) ? node : com.fasterxml.jackson.databind.node.TextNode.valueOf(m);
  }
}
