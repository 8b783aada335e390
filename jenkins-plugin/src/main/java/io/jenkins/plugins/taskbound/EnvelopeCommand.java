package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The core CLI command lines one {@code taskbound} step runs on its agent. Pure translation of step
 * arguments into {@code taskbound} flags: nothing here interprets a policy.
 *
 * @param java the agent's {@code java} executable
 * @param jar the core CLI jar on the agent
 * @param task the task ID as the user gave it (the core validates it)
 * @param policies policy files, workspace-relative or absolute, at least one
 * @param ceiling the organisation ceiling file on the agent, if configured
 * @param profile the profile to apply, if any
 * @param sandbox the sandbox backend, if chosen
 * @param image the agent's image for the {@code container} backend, if given
 * @param ttl the session TTL, if given
 * @param evidenceDir where bundles go, absolute on the agent
 */
public record EnvelopeCommand(
    @NonNull String java,
    @NonNull String jar,
    @NonNull String task,
    @NonNull List<String> policies,
    @CheckForNull String ceiling,
    @CheckForNull String profile,
    @CheckForNull String sandbox,
    @CheckForNull String image,
    @CheckForNull String ttl,
    @NonNull String evidenceDir) {

  public EnvelopeCommand {
    Objects.requireNonNull(java, "java");
    Objects.requireNonNull(jar, "jar");
    Objects.requireNonNull(task, "task");
    policies = List.copyOf(policies);
    if (policies.isEmpty()) {
      throw new IllegalArgumentException("at least one policy file is needed");
    }
    Objects.requireNonNull(evidenceDir, "evidenceDir");
  }

  /** This command with other policy files (e.g. snapshots of the checked ones). */
  @NonNull
  public EnvelopeCommand withPolicies(@NonNull List<String> files) {
    return new EnvelopeCommand(java, jar, task, files, ceiling, profile, sandbox, image, ttl, evidenceDir);
  }

  /**
   * The prefix put in front of every command launched inside the step's block:
   * {@code java -jar JAR run --task T --policy P... [--ceiling C] [--profile X] [--sandbox S] [--image I]
   * [--ttl D] --out DIR --}.
   *
   * <p>No {@code --wait-all}: the container and proxy backends refuse it, and none needs it, because
   * {@link DurableShellLaunch} runs durable-task's wrapper in the foreground inside the envelope.
   */
  @NonNull
  public List<String> runPrefix() {
    List<String> cmd = new ArrayList<>(List.of(java, "-jar", jar, "run", "--task", task));
    for (String policy : policies) {
      cmd.add("--policy");
      cmd.add(policy);
    }
    addOptions(cmd, true);
    cmd.add("--out");
    cmd.add(evidenceDir);
    cmd.add("--");
    return List.copyOf(cmd);
  }

  /**
   * Opens the block's session: {@code java -jar JAR session start --task T --policy P... [--ceiling C]
   * [--profile X] [--sandbox S] [--image I] [--ttl D] --out DIR}. It returns once the session is open,
   * its handle the only line on standard output ({@link SessionHandle#parse}), its supervisor left
   * running on the agent.
   */
  @NonNull
  public List<String> sessionStart() {
    List<String> cmd = new ArrayList<>(List.of(java, "-jar", jar, "session", "start", "--task", task));
    for (String policy : policies) {
      cmd.add("--policy");
      cmd.add(policy);
    }
    addOptions(cmd, true);
    cmd.add("--out");
    cmd.add(evidenceDir);
    return List.copyOf(cmd);
  }

  /**
   * As {@link #sessionStart()}, with the credentials the controller issued: {@code ...
   * --credentials-handoff -}; the caller writes the hand-off to the process's standard input, so no
   * file of it ever exists on the agent.
   */
  @NonNull
  public List<String> sessionStartWithHandoffOnStdin() {
    List<String> cmd = new ArrayList<>(sessionStart());
    cmd.add("--credentials-handoff");
    cmd.add("-");
    return List.copyOf(cmd);
  }

  /**
   * Issues the block's credentials on the controller: {@code java -jar JAR credentials issue --task T
   * --policy P... [--ceiling C] [--profile X] [--sandbox S] [--ttl D] --session-root R --journal J
   * --handoff - --allow-none}, with this command's java, jar and files being the controller's copies:
   * the hand-off comes on the process's standard output, never in a file. The App key and the Vault
   * login come in the process's environment only, never here.
   *
   * @param journal the revocation journal's directory, which the core creates (it must not exist)
   */
  @NonNull
  public List<String> credentialsIssue(@NonNull String sessionRoot, @NonNull String journal) {
    List<String> cmd = new ArrayList<>(List.of(java, "-jar", jar, "credentials", "issue", "--task", task));
    for (String policy : policies) {
      cmd.add("--policy");
      cmd.add(policy);
    }
    addIfSet(cmd, "--ceiling", ceiling);
    addIfSet(cmd, "--profile", profile);
    addIfSet(cmd, "--sandbox", sandbox);
    addIfSet(cmd, "--ttl", ttl);
    cmd.addAll(List.of("--session-root", sessionRoot, "--journal", journal, "--handoff", "-", "--allow-none"));
    return List.copyOf(cmd);
  }

  /** Revokes what {@link #credentialsIssue} issued: {@code java -jar JAR credentials revoke --journal DIR}. */
  @NonNull
  static List<String> credentialsRevoke(@NonNull String java, @NonNull String jar, @NonNull String journal) {
    return List.of(java, "-jar", jar, "credentials", "revoke", "--journal", journal);
  }

  /**
   * The prefix put in front of every command launched inside the block: {@code java -jar JAR session
   * exec --session H --}. {@link DurableShellLaunch} adds {@code --rw} with durable-task's control
   * directory for an {@code sh} step.
   */
  @NonNull
  public List<String> sessionExec(@NonNull SessionHandle handle) {
    return List.of(java, "-jar", jar, "session", "exec", "--session", handle.path(), "--");
  }

  /** Ends the block's session: {@code java -jar JAR session end --session H} (idempotent). */
  @NonNull
  public List<String> sessionEnd(@NonNull SessionHandle handle) {
    return sessionEnd(java, jar, handle);
  }

  /** As {@link #sessionEnd(SessionHandle)}, from what a build's action recorded (the backstop). */
  @NonNull
  static List<String> sessionEnd(@NonNull String java, @NonNull String jar, @NonNull SessionHandle handle) {
    return List.of(java, "-jar", jar, "session", "end", "--session", handle.path());
  }

  /**
   * The check run once before the block: {@code java -jar JAR policy check --task T [--ceiling C]
   * [--profile X] P...}. It validates everything {@code run} would validate about the inputs without
   * starting anything, so a bad task ID or policy fails the step before any command runs.
   */
  @NonNull
  public List<String> policyCheck() {
    List<String> cmd = new ArrayList<>(List.of(java, "-jar", jar, "policy", "check", "--task", task));
    addOptions(cmd, false);
    cmd.addAll(policies);
    return List.copyOf(cmd);
  }

  private void addOptions(List<String> cmd, boolean runOnly) {
    addIfSet(cmd, "--ceiling", ceiling);
    addIfSet(cmd, "--profile", profile);
    if (runOnly) {
      addIfSet(cmd, "--sandbox", sandbox);
      addIfSet(cmd, "--image", image);
      addIfSet(cmd, "--ttl", ttl);
    }
  }

  private static void addIfSet(List<String> cmd, String flag, String value) {
    if (value != null) {
      cmd.add(flag);
      cmd.add(value);
    }
  }
}
