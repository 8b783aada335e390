package dev.taskbound.action;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Action's inputs, read from the environment the runner gives a Docker container action and
 * checked for presence and form. Format checks that belong to the core (task ID syntax, policy
 * content, TTL syntax) are left to the core so that every host gives the same answer.
 *
 * @param task the approved task ID, never blank
 * @param policyFiles workspace-relative policy files in the order given, never empty
 * @param profile the policy profile to apply, if any
 * @param command the agent command, run with {@code sh -c}, never blank
 * @param sandbox the sandbox backend, one of {@link #SANDBOXES}; {@link #DEFAULT_SANDBOX} when the
 *     input is empty (the record itself also takes empty, which leaves the choice to the policy)
 * @param agentImage the image the agent command runs in with the {@code container} backend, if
 *     given; a reference the runner's Docker daemon already has (it is never pulled)
 * @param ttl the session TTL as the core's duration syntax, if given
 * @param evidenceDir the workspace-relative directory the evidence bundle is written to
 */
public record ActionInputs(
    String task,
    List<String> policyFiles,
    Optional<String> profile,
    String command,
    Optional<String> sandbox,
    Optional<String> agentImage,
    Optional<String> ttl,
    String evidenceDir) {

  /** The sandbox backends the core offers. */
  public static final List<String> SANDBOXES = List.of("netns", "container", "proxy");

  /**
   * The sandbox when the {@code sandbox} input is empty: inside this container action only the
   * container backend gives kernel-enforced egress (netns needs privileges a runner does not give).
   */
  public static final String DEFAULT_SANDBOX = "container";

  /** Where the evidence bundle goes when the {@code evidence-dir} input is empty. */
  public static final String DEFAULT_EVIDENCE_DIR = "taskbound-evidence";

  /** What an evidence directory may be written with: no control character, no space, not overlong. */
  private static final java.util.regex.Pattern EVIDENCE_DIR = java.util.regex.Pattern.compile("[A-Za-z0-9._/-]{1,200}");

  /**
   * An image reference as {@code docker run} takes it (name[:tag][@digest], with a registry host
   * and port); the leading character also keeps it from being read as an option.
   */
  private static final Pattern IMAGE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}");

  private static final Pattern LIST_SEPARATOR = Pattern.compile("[,\\r\\n]+");

  public ActionInputs {
    Objects.requireNonNull(task, "task");
    policyFiles = List.copyOf(policyFiles);
    Objects.requireNonNull(profile, "profile");
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(sandbox, "sandbox");
    Objects.requireNonNull(agentImage, "agentImage");
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(evidenceDir, "evidenceDir");
  }

  /**
   * The environment variable the runner sets for an input: {@code INPUT_} plus the name upper-cased
   * with spaces turned into underscores. Hyphens are kept ({@code INPUT_POLICY-FILE}), which is why
   * inputs are read from the environment map and never through a shell.
   */
  public static String variableFor(String inputName) {
    return "INPUT_" + inputName.toUpperCase(Locale.ROOT).replace(' ', '_');
  }

  /**
   * Reads and checks the inputs. Values are trimmed, as {@code @actions/core} does; an empty value
   * counts as not given.
   *
   * @param env the container's environment; not modified
   * @throws ActionInputException listing every missing or invalid input, one line each
   */
  public static ActionInputs parse(Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    Optional<String> task = input(env, "task");
    if (task.isEmpty()) {
      problems.add("input 'task' is required: set it to the approved task ID, e.g. 'task: FIX-123'");
    }
    List<String> policies =
        input(env, "policy-file").stream()
            .flatMap(LIST_SEPARATOR::splitAsStream)
            .map(String::strip)
            .filter(s -> !s.isEmpty())
            .toList();
    if (policies.isEmpty()) {
      problems.add(
          "input 'policy-file' is required: set it to one or more workspace-relative policy files,"
              + " one per line or comma-separated");
    }
    Optional<String> command = input(env, "command");
    if (command.isEmpty()) {
      problems.add(
          "input 'command' is required: set it to the agent command, which runs with 'sh -c'");
    }
    Optional<String> sandbox = input(env, "sandbox").or(() -> Optional.of(DEFAULT_SANDBOX));
    if (sandbox.isPresent() && !SANDBOXES.contains(sandbox.get())) {
      problems.add(
          "input 'sandbox' is '"
              + sandbox.get()
              + "': accepted values are "
              + String.join(", ", SANDBOXES)
              + ", or empty for " + DEFAULT_SANDBOX);
    }
    Optional<String> agentImage = input(env, "agent-image");
    if (agentImage.isPresent() && !IMAGE.matcher(agentImage.get()).matches()) {
      problems.add(
          "input 'agent-image' is '"
              + agentImage.get()
              + "': give an image reference the runner's Docker daemon has, e.g. 'node:20-bookworm' or"
              + " 'ghcr.io/acme/agent@sha256:...' (letters, digits and . _ / : @ -)");
    } else if (agentImage.isPresent() && sandbox.filter(SANDBOXES::contains).filter(s -> !s.equals("container")).isPresent()) {
      problems.add(
          "input 'agent-image' is set but 'sandbox' is '"
              + sandbox.get()
              + "': the agent image is used only by the container backend; set 'sandbox: container'"
              + " (or leave it empty) or remove 'agent-image'");
    } else if (agentImage.isEmpty() && sandbox.get().equals("container") && variable(env, "TASKBOUND_AGENT_IMAGE").isEmpty()) {
      problems.add(
          "input 'agent-image' is required with the container sandbox: build or pull the agent's image in an"
              + " earlier step (e.g. 'run: docker build -t my-agent:ci .agent' or 'run: docker pull node:20-bookworm')"
              + " and set 'agent-image: my-agent:ci'; the action never pulls it");
    }
    String evidenceDir = input(env, "evidence-dir").orElse(DEFAULT_EVIDENCE_DIR);
    // inside the workspace, as the outputs and docs say: '..' could leave it (a directory of the runner's)
    if (!EVIDENCE_DIR.matcher(evidenceDir).matches()) {
      // checked before the core starts: a newline went into the multi-line 'bundle' output, and an
      // overlong path let the agent run only for the seal to fail (review finding)
      problems.add(
          "input 'evidence-dir' is '"
              + dev.taskbound.core.SafeText.line(evidenceDir)
              + "': give a path relative to the workspace of at most 200 letters, digits and . _ - /, e.g. '"
              + DEFAULT_EVIDENCE_DIR
              + "'");
    } else if (Path.of(evidenceDir).isAbsolute() || Path.of(evidenceDir).normalize().startsWith("..")) {
      problems.add(
          "input 'evidence-dir' is '"
              + evidenceDir
              + "': give a path relative to the workspace, e.g. '"
              + DEFAULT_EVIDENCE_DIR
              + "'");
    }
    if (!problems.isEmpty()) {
      throw new ActionInputException(problems);
    }
    return new ActionInputs(
        task.get(),
        policies,
        input(env, "profile"),
        command.get(),
        sandbox,
        agentImage,
        input(env, "ttl"),
        evidenceDir);
  }

  private static Optional<String> input(Map<String, String> env, String name) {
    return variable(env, variableFor(name));
  }

  /** A variable's trimmed value; empty counts as not set. */
  private static Optional<String> variable(Map<String, String> env, String variable) {
    return Optional.ofNullable(env.get(variable)).map(String::strip).filter(s -> !s.isEmpty());
  }
}
