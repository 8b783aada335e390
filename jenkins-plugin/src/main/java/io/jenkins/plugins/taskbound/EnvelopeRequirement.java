package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The "require the envelope" rule: which launched commands it refuses. A durable-task step's
 * script ({@code sh}, {@code bat}, {@code powershell}: its command names durable-task's control
 * directory {@code durable-XXXXXXXX}), or a freestyle shell or batch step's script
 * ({@code <workspace>@tmp/jenkins<N>.sh|.bat}), is refused unless a {@code taskbound} block wrapped it (its
 * command is then a {@code session exec} or the block's reporter). Everything else passes: SCM
 * checkouts, tools that plugins launch, the plugin's own {@code policy check}/{@code session start}.
 * No Jenkins types.
 */
final class EnvelopeRequirement {
  private static final Pattern CONTROL_DIR = Pattern.compile("[\\\\/]durable-[0-9a-f]{8}([\\\\/']|$)");
  /** A freestyle "Execute shell" / "Execute Windows batch command" script, in the workspace's @tmp. */
  private static final Pattern FREESTYLE_SCRIPT = Pattern.compile("@tmp[\\\\/]jenkins[0-9]+\\.(sh|bat)$");

  private EnvelopeRequirement() {}

  /** The line that refuses {@code command}, or null if it may run. */
  @CheckForNull
  static String refusal(@NonNull List<String> command) {
    if (isEnveloped(command)) {
      return null;
    }
    String step = durableStep(command);
    if (step == null) {
      return null;
    }
    return "taskbound: this Jenkins requires the envelope, and this " + step + " step runs outside a taskbound block,"
        + " so it was not started. Put it in a block: taskbound(task: 'FIX-123') { " + step + " '...' }"
        + " (the setting: Manage Jenkins » System » Taskbound » Require the envelope)";
  }

  /** Whether a {@code taskbound} block's decorator built this command. */
  static boolean isEnveloped(@NonNull List<String> command) {
    for (int i = 0; i + 1 < command.size(); i++) {
      if (command.get(i).equals("session") && command.get(i + 1).equals("exec")) {
        return true;
      }
    }
    int reporter = command.indexOf("taskbound-envelope"); // the reporter's $0, or the container refusal's
    return (reporter == 3 || reporter == 4) && (command.get(0).equals("nohup") || command.get(0).equals("/bin/sh"));
  }

  /** The script of a freestyle shell or batch step's launch ({@code <workspace>@tmp/jenkins<N>.sh}), else null. */
  @CheckForNull
  static String freestyleScript(@NonNull List<String> command) {
    return command.stream().filter(arg -> FREESTYLE_SCRIPT.matcher(arg).find()).findFirst().orElse(null);
  }

  /** {@code sh}, {@code bat} or {@code powershell} for a durable-task step's launch, else null. */
  @CheckForNull
  static String durableStep(@NonNull List<String> command) {
    for (String arg : command) {
      java.util.regex.Matcher freestyle = FREESTYLE_SCRIPT.matcher(arg);
      if (freestyle.find()) {
        return freestyle.group(1).equals("bat") ? "bat" : "sh";
      }
    }
    boolean durable = command.stream().anyMatch(arg -> CONTROL_DIR.matcher(arg).find());
    if (!durable) {
      return null;
    }
    String all = String.join(" ", command).toLowerCase(java.util.Locale.ROOT);
    if (all.contains("powershell") || all.contains("pwsh")) {
      return "powershell";
    }
    if (command.get(0).equalsIgnoreCase("cmd") || command.get(0).equalsIgnoreCase("cmd.exe")) {
      return "bat";
    }
    return "sh";
  }
}
