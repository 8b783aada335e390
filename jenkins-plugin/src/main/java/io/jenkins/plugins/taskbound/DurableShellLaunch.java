package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The command line that runs one launched process of a {@code taskbound} block in its envelope.
 *
 * <p>durable-task's {@code sh} launches {@code nohup sh -c '(WRAPPER) >&- 2>&- &'}: the wrapper runs
 * the script in the background with its output in {@code <control dir>/jenkins-log.txt} and its
 * status in {@code jenkins-result.txt}, and the launched process returns at once, its own output
 * discarded. Prefixing that with {@code taskbound session exec} (or {@code run}) would let the envelope end (or refuse to
 * start) unseen. So for that command this class builds, instead:
 *
 * <pre>nohup sh -c '(REPORTER) &gt;&amp;- 2&gt;&amp;- &amp;' taskbound-envelope CONTROL_DIR OUTPUT taskbound session exec --session H
 *     --rw CONTROL_DIR/taskbound --ro CONTROL_DIR/script.sh -- sh -c WRAPPER'</pre>
 *
 * where {@code WRAPPER'} is durable-task's wrapper run in the foreground inside the envelope, the
 * script's output going to the envelope (whose masker hides the credentials it issued) and its
 * status, copy and {@code returnStdout} output to {@code CONTROL_DIR/taskbound} (see {@link
 * #SANDBOX_DIR}) instead of the real files, and {@code REPORTER} (outside the envelope) makes that
 * directory, appends everything the core prints, its own lines and the script's, to the log, then writes
 * the step's status to the real result file: the core's own exit code (120-125) with one line saying
 * what it means, else the script's status. So a refused envelope fails the {@code sh} step within
 * durable-task's polling interval with the core's message in the build log; a TTL expiry fails it
 * with 124; a failed teardown (123) fails it although the script succeeded.
 *
 * <p>Any other command (one that does not have durable-task's shape) is prefixed as it is: it runs
 * in its own envelope, and its caller reads the core's lines from its standard error. No Jenkins
 * types; the arguments are in the form {@code Launcher} takes, where {@code $$} stands for {@code $}.
 */
final class DurableShellLaunch {
  /** The file the wrapper inside the envelope writes the script's status to, in {@link #SANDBOX_DIR}. */
  static final String INNER_RESULT = "taskbound-result.txt";
  /**
   * The one directory of the control directory the command inside may write, made by the reporter
   * for it. Never the control directory itself: the reporter and durable-task write and read there
   * by name on the host, so a link the agent planted there (at {@code jenkins-result.txt.tmp},
   * {@code jenkins-log.txt}, {@code output.txt}) would have them write or read any file of the
   * agent's host user.
   */
  static final String SANDBOX_DIR = "taskbound";
  private static final String OUTPUT = "output.txt";

  private static final Pattern BACKGROUNDED = Pattern.compile("\\((.*)\\) >&- 2>&- &", Pattern.DOTALL);
  private static final Pattern HEARTBEAT =
      Pattern.compile("while \\[ -d '([^']+)' -a \\\\! -f '\\1/jenkins-result\\.txt' \\]");

  private final String controlDir;
  private final String wrapper;

  private DurableShellLaunch(String controlDir, String wrapper) {
    this.controlDir = controlDir;
    this.wrapper = wrapper;
  }

  /**
   * The command to launch for {@code command} inside the envelope that {@code envelope} starts
   * ({@code taskbound session exec --session H --} or {@code taskbound run ... --}, plain strings).
   *
   * @param sandbox the backend the step asked for, or null for the policy's choice
   */
  @NonNull
  static List<String> command(@NonNull List<String> envelope, @NonNull List<String> command, @CheckForNull String sandbox) {
    DurableShellLaunch durable = recognise(command);
    if (durable == null) {
      String script = EnvelopeRequirement.freestyleScript(command);
      // the sandbox shows none of <workspace>@tmp: a freestyle step's script is named, read-only, alone
      // (added after escaping: the script's argument is in the launcher's form already, as it is below)
      List<String> prefixed = new ArrayList<>(script == null ? escaped(envelope) : withSessionOption(escaped(envelope), "--ro", script));
      prefixed.addAll(command);
      return List.copyOf(prefixed);
    }
    return "container".equals(sandbox) ? durable.refusal(containerRefusal(durable.controlDir)) : durable.enveloped(envelope);
  }

  /** durable-task's shell wrapper in {@code command}, or null if it does not have that shape. */
  @CheckForNull
  static DurableShellLaunch recognise(@NonNull List<String> command) {
    int start = command.size() == 4 && command.get(0).equals("nohup") ? 1 : 0;
    if (command.size() - start != 3 || !command.get(start).equals("sh") || !command.get(start + 1).equals("-c")) {
      return null;
    }
    Matcher background = BACKGROUNDED.matcher(command.get(start + 2));
    if (!background.matches()) {
      return null;
    }
    String wrapper = background.group(1);
    Matcher heartbeat = HEARTBEAT.matcher(wrapper);
    if (!heartbeat.find()) {
      return null;
    }
    String dir = heartbeat.group(1);
    // The script's output must be redirectable to the envelope, and its status to where only the reporter reads it.
    if (!wrapper.contains(logRedirect(dir)) && !wrapper.contains(stderrRedirect(dir))
        || !wrapper.contains("mv '" + dir + "/jenkins-result.txt.tmp'")) {
      return null;
    }
    return new DurableShellLaunch(dir, wrapper);
  }

  /** durable-task's control directory, as it appears in the command. */
  @NonNull
  String controlDir() {
    return controlDir;
  }

  /**
   * durable-task's wrapper rewritten to run inside the envelope: in the foreground, the script's
   * output (its stderr, when {@code returnStdout} captures its stdout) going to the envelope instead
   * of the log, and its status to {@link #INNER_RESULT}. The core passes the agent's output through
   * its masker, which knows the exact values the session issued, on to the reporter, which appends
   * it to the log.
   */
  @NonNull
  String innerWrapper() {
    String inside = controlDir + "/" + SANDBOX_DIR;
    // Ends with the script's status, so the session's evidence records each command's real exit
    // (durable-task's wrapper itself ends 0 once it has written the status); 1 if it wrote none.
    // Everything it writes goes to the sandbox's own directory: the copy of the script, the status,
    // returnStdout's output and its heartbeat (the reporter keeps the real log's).
    return wrapper
        .replace("'" + controlDir + "/jenkins-result.txt", "'" + inside + "/" + INNER_RESULT)
        .replace("'" + script() + ".copy'", "'" + inside + "/script.sh.copy'")
        .replace("touch '" + controlDir + "/jenkins-log.txt'", "touch '" + inside + "/heartbeat'")
        .replace("> '" + controlDir + "/" + OUTPUT + "'", "> '" + inside + "/" + OUTPUT + "'")
        .replace(logRedirect(controlDir), " 2>&1")
        .replace(stderrRedirect(controlDir), "")
        + "; exit $$(cat '" + inside + "/" + INNER_RESULT + "' 2>/dev/null || echo 1)";
  }

  /** durable-task's script, {@code <control dir>/script.sh}: the one file of the control directory the command inside reads. */
  @NonNull
  String script() {
    return controlDir + "/script.sh";
  }

  /** Whether the wrapper captures the script's standard output for {@code returnStdout}. */
  private boolean capturesOutput() {
    return wrapper.contains("> '" + controlDir + "/" + OUTPUT + "'");
  }

  /** How the wrapper sends the script's output to the log. */
  private static String logRedirect(String dir) {
    return " > '" + dir + "/jenkins-log.txt' 2>&1";
  }

  /** How the wrapper sends the script's stderr to the log when {@code returnStdout} captures stdout. */
  private static String stderrRedirect(String dir) {
    return " 2> '" + dir + "/jenkins-log.txt'";
  }

  private List<String> enveloped(List<String> envelope) {
    // /bin/sh, never the step's PATH: a directory on it the agent writes (node_modules/.bin) would
    // give the host its own sh, outside the envelope
    List<String> cmd = new ArrayList<>(List.of("nohup", "/bin/sh", "-c", escape(reporter()), "taskbound-envelope"));
    cmd.add(controlDir); // as it is in durable-task's command: in the launcher's form already
    cmd.add(capturesOutput() ? OUTPUT : "-");
    cmd.addAll(withControlDir(escaped(envelope), controlDir));
    cmd.addAll(List.of("sh", "-c", innerWrapper()));
    return List.copyOf(cmd);
  }

  /**
   * A {@code session exec ... --} prefix with {@code --rw DIR/taskbound} and {@code --ro
   * DIR/script.sh} added before its {@code --}: the wrapper inside writes the script's copy and
   * status in a directory of its own, made for it, and reads the script, while the sandbox shows
   * nothing else of {@code <workspace>@tmp} (the core accepts only paths under it). Any other prefix
   * ({@code run ... --}) is returned as it is.
   */
  static List<String> withControlDir(List<String> envelope, String dir) {
    return withSessionOption(withSessionOption(envelope, "--rw", dir + "/" + SANDBOX_DIR), "--ro", dir + "/script.sh");
  }


  /** A {@code session exec ... --} prefix with {@code option value} added before its {@code --}; any other as it is. */
  static List<String> withSessionOption(List<String> envelope, String option, String value) {
    int dashes = envelope.lastIndexOf("--");
    int exec = envelope.indexOf("exec");
    if (dashes < 0 || exec < 1 || !envelope.get(exec - 1).equals("session") || exec > dashes) {
      return envelope;
    }
    List<String> out = new ArrayList<>(envelope.subList(0, dashes));
    out.add(option);
    out.add(value);
    out.addAll(envelope.subList(dashes, envelope.size()));
    return List.copyOf(out);
  }

  /** A command that only reports {@code message} and fails the step with {@link EnvelopeExit#SANDBOX}. */
  private List<String> refusal(String message) {
    String script = "(echo " + quote(message) + " >>\"$1\"; echo " + EnvelopeExit.SANDBOX + " >\"$2.tmp\" && mv \"$2.tmp\" \"$2\")"
        + " >&- 2>&- </dev/null &";
    return List.of("/bin/sh", "-c", escape(script), "taskbound-envelope", controlDir + "/jenkins-log.txt", controlDir + "/jenkins-result.txt");
  }

  private static String containerRefusal(String controlDir) {
    return "taskbound: the container sandbox cannot run this step yet: durable-task keeps the step's script, log and"
        + " exit status in " + controlDir + ", outside the workspace, and the container backend mounts only the workspace;"
        + " use sandbox: netns or proxy for sh steps (docs/jenkins.md)";
  }

  /**
   * The script that runs outside the envelope, as the agent's host user: {@code $1} the control
   * directory, {@code $2} {@code output.txt} when {@code returnStdout} captures it (else {@code -}),
   * then the envelope command. It returns at once, as durable-task's own launch does. It makes the
   * directory the command inside may write, keeps the log's heartbeat, and once the envelope has
   * ended (and with it every process of the sandbox, so nothing inside changes that directory any
   * more) takes from it only a number and, for {@code returnStdout}, a regular file's content:
   * never following a link the agent left there.
   */
  static String reporter() {
    StringBuilder own = new StringBuilder();
    for (Map.Entry<Integer, String> code : EnvelopeExit.messages().entrySet()) {
      own.append("      ").append(code.getKey()).append(") echo ").append(quote(code.getValue())).append(" ;;\n");
    }
    return "dir=\"$1\" capture=\"$2\"\n"
        + "shift 2\n"
        // The host side's own tools come from the system, never from the step's PATH (which may hold a
        // directory the agent writes); the envelope gets that PATH back for the command inside. Nothing
        // in the step's environment may load code into the host's JVM or the tools.
        + "step_path=$PATH\n"
        + "PATH=/usr/bin:/bin; export PATH\n"
        + "unset " + String.join(" ", HostLaunchEnvironment.HOST_CODE_VARIABLES) + "\n"
        + "log=\"$dir/jenkins-log.txt\" result=\"$dir/jenkins-result.txt\" inside=\"$dir/" + SANDBOX_DIR + "\"\n"
        + "(\n"
        // the agent runs as the workspace's owner: as root (durable-task made the control directory root's),
        // the directory is given to the owner of the step's working directory, where this runs
        + "  mkdir -m 700 \"$inside\" && { [ \"$(id -u)\" != 0 ] || chown -h \"$(stat -c %u:%g .)\" \"$inside\"; } || {\n"
        + "    echo \"taskbound: cannot make $inside for the command\" >>\"$log\"\n"
        + "    echo " + EnvelopeExit.SANDBOX + " >\"$result.tmp\" && mv \"$result.tmp\" \"$result\"; exit; }\n"
        // durable-task fails a step whose log goes untouched for 300 s; the wrapper inside cannot touch it
        + "  { while [ -d \"$dir\" ] && [ ! -f \"$result\" ]; do touch \"$log\"; sleep 3; done; } &\n"
        + "  PATH=$step_path \"$@\" >>\"$log\" 2>&1 </dev/null\n"
        + "  envelope=$?\n"
        + "  own=\n"
        + "  if [ -f \"$inside/" + INNER_RESULT + "\" ] && [ ! -L \"$inside/" + INNER_RESULT + "\" ]; then\n"
        + "    own=$(head -c 16 \"$inside/" + INNER_RESULT + "\")\n"
        + "  fi\n"
        + "  case $own in *[!0-9]*) own= ;; esac\n"
        + "  if [ \"$capture\" = " + OUTPUT + " ]; then\n"
        + "    if [ -f \"$inside/" + OUTPUT + "\" ] && [ ! -L \"$inside/" + OUTPUT + "\" ]; then\n"
        + "      cat \"$inside/" + OUTPUT + "\" >\"$dir/" + OUTPUT + "\"\n"
        + "    else\n"
        + "      : >\"$dir/" + OUTPUT + "\"\n"
        + "    fi\n"
        + "  fi\n"
        + "  rm -rf \"$inside\"\n"
        + "  if [ -n \"$own\" ] && [ \"$own\" = \"$envelope\" ]; then\n"
        + "    status=$own\n" // the script's own status, which the envelope passed on (even one in 120-125)
        + "  elif [ \"$envelope\" -ge " + EnvelopeExit.FIRST + " ] && [ \"$envelope\" -le " + EnvelopeExit.LAST + " ]; then\n"
        + "    status=$envelope\n"
        + "    {\n"
        + "    case $envelope in\n"
        + own
        + "    esac\n"
        + "    if [ -n \"$own\" ]; then echo \"taskbound: the command itself ended with status $own\"; fi\n"
        + "    } >>\"$log\"\n"
        + "  elif [ -n \"$own\" ]; then\n"
        + "    status=$own\n"
        + "  else\n"
        + "    status=$envelope\n"
        + "    if [ \"$status\" -eq 0 ]; then status=1; fi\n"
        + "    echo \"taskbound: the command left no exit status; the envelope ended with status $envelope\" >>\"$log\"\n"
        + "  fi\n"
        + "  echo \"$status\" >\"$result.tmp\" && mv \"$result.tmp\" \"$result\"\n"
        + ") >&- 2>&- </dev/null &\n";
  }

  /** {@code text} as one shell word, single-quoted ({@code '} written as {@code '\''}). */
  static String quote(String text) {
    return "'" + text.replace("'", "'\\''") + "'";
  }

  /** {@code $} doubled: the agent's launcher expands {@code $NAME} in every argument and turns {@code $$} into {@code $}. */
  static String escape(String arg) {
    return arg.replace("$", "$$");
  }

  private static List<String> escaped(List<String> args) {
    return args.stream().map(a -> escape(Objects.requireNonNull(a, "argument"))).toList();
  }
}
