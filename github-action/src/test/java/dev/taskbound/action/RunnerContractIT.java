package dev.taskbound.action;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.evidence.VerificationResult;
import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The runner behaviours a real job meets besides a clean run, emulated as {@link ActionContainerIT}
 * emulates a run (its fixtures: the image, the runner's mounts and variables, the GitHub App stub):
 * a job killed mid-run whose post step must finish the teardown (issue 12 problem 2), and a cancel
 * (SIGINT) after which the main step must still leave its outputs, summary and bundle (problem 3).
 * The agent holds a minted GitHub token and is still running when the step is stopped.
 */
class RunnerContractIT extends ActionContainerIT {
  private static final Duration AGENT_START = Duration.ofMinutes(3);
  private static final Duration STEP_END = Duration.ofMinutes(3);
  private static final String REVOCATION = "DELETE /installation/token token";

  /** The end-to-end run is ActionContainerIT's; not run again here (a method without @Test is no test). */
  @Override
  void runsAgentInSiblingContainersWithEnforcedEgressAGithubAppTokenAndVerifiableEvidence() {}

  @Test
  void postStepFinishesTeardownOfAKilledMainStep() throws Exception {
    String image = actionImage();
    requireAgentImage();
    Started main = startMain(image);

    assertThat(docker(Duration.ofSeconds(30), "kill", main.name()).ok()).isTrue();
    main.awaitEnd();
    String session = onlySession();
    assertThat(sandboxContainers(session)).as("the killed step left its sibling containers").isNotBlank();
    assertThat(githubRequests).doesNotContain(REVOCATION);

    // The post step as the runner runs it: same image, post-entrypoint, STATE_<name> from GITHUB_STATE.
    Map<String, String> state = keyValues(fileCommands.resolve("state"));
    assertThat(state.keySet()).allMatch(name -> name.matches("[A-Za-z0-9_]+"), "state names a shell keeps");
    Map<String, String> postEnv = new LinkedHashMap<>(CANARIES);
    state.forEach((name, value) -> postEnv.put("STATE_" + name, value));
    Result post = runAction(image, "post", List.of("--entrypoint", ActionMain.POST_ENTRYPOINT), postEnv);

    assertThat(post.status()).as("post step status; output:%n%s", post.output()).isZero();
    assertThat(post.output()).doesNotContain("no session to tear down", INSTALLATION_TOKEN, "Exception");
    assertThat(sandboxContainers(session)).as("sibling containers after post").isBlank();
    assertThat(githubRequests.stream().filter(REVOCATION::equals)).hasSize(1);
    assertSealedBundle(session);
  }

  /**
   * Issue 12: the runner's file commands, its temp directory and the job's home are mounted into the
   * action's container, never into the agent's: from inside, the agent can neither list nor write
   * them, by their container paths, by their host paths or through the runner's variables.
   */
  @Test
  void agentCannotReadOrWriteTheRunnersFileCommandsTempOrHome() throws Exception {
    String image = actionImage();
    requireAgentImage();
    for (String name : List.of("summary", "output", "env", "path", "state")) {
      Files.writeString(fileCommands.resolve(name), "");
    }
    Files.writeString(runnerTemp.resolve("runner-canary.txt"), "runner-temp-canary\n");
    Files.writeString(home.resolve("home-canary.txt"), "home-canary\n");
    Files.createDirectories(workspace.resolve("taskbound"));
    Files.writeString(workspace.resolve("taskbound/policy.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 5m",
        "  sandbox: {backends: [container], enforcement: strict}",
        ""));
    List<String> targets = List.of("/github/file_commands", "/github/runner_temp", "/github/home",
        fileCommands.toString(), runnerTemp.toString(), home.toString());
    StringBuilder probe = new StringBuilder("mkdir -p out && {");
    for (String t : targets) {
      probe.append(" if ls '").append(t).append("' >/dev/null 2>&1; then echo 'list ").append(t).append(": yes'; else echo 'list ")
          .append(t).append(": no'; fi;");
      probe.append(" if cat '").append(t).append("/runner-canary.txt' '").append(t).append("/home-canary.txt' 2>/dev/null;")
          .append(" then echo 'read ").append(t).append(": yes'; else echo 'read ").append(t).append(": no'; fi;");
      for (String file : List.of("summary", "output", "env", "agent-new")) {
        probe.append(" if (echo agent-was-here >> '").append(t).append('/').append(file).append("') 2>/dev/null; then echo 'write ")
            .append(t).append('/').append(file).append(": yes'; else echo 'write ").append(t).append('/').append(file)
            .append(": no'; fi;");
      }
    }
    for (String variable : List.of("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE",
        "RUNNER_TEMP")) {
      probe.append(" if [ -n \"$").append(variable).append("\" ] && (echo agent-was-here >> \"$").append(variable)
          .append("\") 2>/dev/null; then echo '$").append(variable).append(": yes'; else echo '$").append(variable)
          .append(": no'; fi;");
    }
    probe.append(" } > out/probe.txt; true");
    Map<String, String> inputs = new LinkedHashMap<>();
    inputs.put("INPUT_TASK", "PROBE-1");
    inputs.put("INPUT_POLICY-FILE", "taskbound/policy.yml");
    inputs.put("INPUT_COMMAND", probe.toString());
    inputs.put("INPUT_SANDBOX", "container");
    inputs.put("INPUT_AGENT-IMAGE", AGENT_IMAGE);

    Result main = runAction(image, "main", List.of(), inputs);

    assertThat(main.status()).as("main step; output:%n%s", main.output()).isZero();
    List<String> lines = Files.readAllLines(workspace.resolve("out/probe.txt"));
    assertThat(lines).as("the agent's probe").hasSize(targets.size() * 6 + 6).allMatch(l -> l.endsWith(": no"));
    for (Path runnerDir : List.of(fileCommands, runnerTemp, home)) {
      try (Stream<Path> files = Files.walk(runnerDir)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          assertThat(Files.readString(f)).as(f.toString()).doesNotContain("agent-was-here");
        }
      }
      assertThat(runnerDir.resolve("agent-new")).doesNotExist();
    }
    // The runner's files still work for the action itself.
    assertThat(keyValues(fileCommands.resolve("output"))).containsEntry("exit-code", "0");
  }

  @Test
  void cancelledMainStepWritesOutputsSummaryAndBundleBeforeItExits() throws Exception {
    String image = actionImage();
    requireAgentImage();
    Started main = startMain(image);

    assertThat(docker(Duration.ofSeconds(30), "kill", "--signal", "INT", main.name()).ok()).isTrue();
    String log = main.awaitEnd();

    assertThat(fileCommands.resolve("output")).as("GITHUB_OUTPUT; log:%n%s", log).isRegularFile();
    Map<String, String> outputs = keyValues(fileCommands.resolve("output"));
    assertThat(outputs).as("outputs; log:%n%s", log).containsKeys("exit-code", "bundle");
    assertThat(outputs.get("exit-code")).isNotEqualTo("0");
    assertThat(outputs.get("bundle")).matches("taskbound-evidence/KILL-1-[^/]+\\.zip");
    String session = outputs.get("bundle").replaceFirst("^taskbound-evidence/KILL-1-(.+)\\.zip$", "$1");
    assertThat(Files.readString(fileCommands.resolve("summary"))).contains(session);
    assertSealedBundle(session);
    assertThat(log).doesNotContain("Exception", "Stream closed", "\tat ");
    assertThat(Files.readString(workspace.resolve("out/env.txt"))).doesNotContain("PRIVATE KEY", "INPUT_GITHUB-", "canary-");
    // Masks first (the token only there), then the agent's output inside a fence it cannot end.
    String mask = "::add-mask::" + INSTALLATION_TOKEN;
    assertThat(log.replace(mask, "")).doesNotContain(INSTALLATION_TOKEN);
    List<String> lines = log.lines().toList();
    int fence = indexOfPrefix(lines, "::stop-commands::");
    assertThat(lines.indexOf(mask)).as("log:%n%s", log).isNotNegative().isLessThan(fence);
    String token = lines.get(fence).substring("::stop-commands::".length());
    assertThat(token).matches("[0-9a-f]{32}");
    assertThat(lines.indexOf("::warning::from-the-agent")).isGreaterThan(fence).isLessThan(lines.indexOf("::" + token + "::"));
    assertThat(lines.indexOf("::stop-commands::guess")).isGreaterThan(fence).isLessThan(lines.indexOf("::" + token + "::"));
    assertThat(sandboxContainers(session)).isBlank();
    assertThat(githubRequests.stream().filter(REVOCATION::equals)).hasSize(1);
  }

  /** Issue 17: no silent fallback from the org ceiling, in the runner's contract. */
  @Test
  void missingOrgCeilingFailsTheStepWith120NamingRepositoryAndPathBeforeAnyAgentToken() throws Exception {
    orgCeilingPresent = false;

    Result main = runAction(actionImage(), "main", List.of(), ceilingStepInputs(Map.of()));

    assertThat(main.status()).as("main step; output:%n%s", main.output()).isEqualTo(120);
    assertThat(keyValues(fileCommands.resolve("output"))).containsEntry("exit-code", "120");
    assertThat(main.output()).contains("github:acme/.github/taskbound/ceiling.yml: the org ceiling is missing:"
        + " acme/.github has no taskbound/ceiling.yml at main (" + CEILING_COMMIT + ")");
    assertThat(githubRequests).containsExactlyElementsOf(CEILING_READ_MISSING);
  }

  @Test
  void ceilingRepositoryIsRefusedWhereTheOrgCeilingDoesNotAllowIt() throws Exception {
    Result main = runAction(actionImage(), "main", List.of(), ceilingStepInputs(Map.of("INPUT_CEILING", "repository")));

    assertThat(main.status()).as("main step; output:%n%s", main.output()).isEqualTo(120);
    assertThat(main.output()).contains("ceiling: repository is refused: the org ceiling"
        + " github:acme/.github/taskbound/ceiling.yml@" + CEILING_COMMIT.substring(0, 12) + ":1 does not set"
        + " allowRepositoryCeiling");
    assertThat(githubRequests).containsExactlyElementsOf(CEILING_READ);
  }

  /** A main step with the App as inputs and a repository Ceiling (which the org ceiling must allow). */
  private Map<String, String> ceilingStepInputs(Map<String, String> extra) throws IOException {
    Files.createDirectories(workspace.resolve("taskbound"));
    Files.writeString(workspace.resolve("taskbound/policy.yml"),
        "apiVersion: taskbound.dev/v1\nkind: Ceiling\nspec:\n  ttl: 5m\n");
    Map<String, String> inputs = new LinkedHashMap<>();
    inputs.put("INPUT_TASK", "CEIL-1");
    inputs.put("INPUT_POLICY-FILE", "taskbound/policy.yml");
    inputs.put("INPUT_COMMAND", "true");
    inputs.put("INPUT_SANDBOX", "container"); // the action's default, which needs an agent image
    inputs.put("INPUT_AGENT-IMAGE", AGENT_IMAGE);
    inputs.put("INPUT_GITHUB-APP-ID", APP_ID);
    inputs.put("INPUT_GITHUB-APP-PRIVATE-KEY", pkcs8Pem(APP_KEY));
    inputs.put("INPUT_GITHUB-API-URL", "http://127.0.0.1:" + githubApi.getAddress().getPort());
    inputs.put("GITHUB_API_URL", "http://127.0.0.1:" + githubApi.getAddress().getPort()); // the runner's: the same
    inputs.putAll(extra);
    return inputs;
  }

  /**
   * Starts the main step in the background with an agent that uses its GitHub token and then waits,
   * and returns once the agent has started.
   */
  private Started startMain(String image) throws IOException, InterruptedException {
    int githubPort = githubApi.getAddress().getPort();
    Files.createDirectories(workspace.resolve("taskbound"));
    Files.writeString(
        workspace.resolve("taskbound/policy.yml"),
        """
        apiVersion: taskbound.dev/v1
        kind: Task
        metadata:
          name: runner-contract
        spec:
          ttl: 5m
          sandbox: {backends: [container], enforcement: strict}
          egress:
            allow: ["api.github.test:%d"]
            hosts: {api.github.test: 127.0.0.1}
          github:
            repositories: [acme/app]
            permissions: {contents: read}
        """
            .formatted(githubPort));
    Map<String, String> inputs = new LinkedHashMap<>();
    inputs.put("INPUT_TASK", "KILL-1");
    inputs.put("INPUT_POLICY-FILE", "taskbound/policy.yml");
    inputs.put("INPUT_COMMAND",
        "mkdir -p out && curl -sS --max-time 30 -o out/repositories.txt -H \"Authorization: token $GH_TOKEN\""
            + " http://api.github.test:" + githubPort + "/installation/repositories"
            + " && echo '::warning::from-the-agent' && echo '::add-mask::the' && echo '::stop-commands::guess'"
            + " && env > out/env.txt && touch out/started && exec sleep 600");
    inputs.put("INPUT_SANDBOX", "container");
    inputs.put("INPUT_AGENT-IMAGE", AGENT_IMAGE);
    inputs.putAll(CANARIES);
    // The App as the action's inputs (ActionContainerIT configures it through variables).
    inputs.put("INPUT_GITHUB-APP-ID", APP_ID);
    inputs.put("INPUT_GITHUB-APP-PRIVATE-KEY", pkcs8Pem(APP_KEY));
    inputs.put("INPUT_GITHUB-API-URL", "http://127.0.0.1:" + githubPort);
    inputs.put("GITHUB_API_URL", "http://127.0.0.1:" + githubPort); // the runner's: the same
    RunnerStep step = runnerStep(image, "main", List.of(), inputs);

    List<String> command = new ArrayList<>(List.of("docker"));
    command.addAll(step.args());
    Path log = Files.createTempFile(workspace.getParent(), "main", ".log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
        .redirectInput(Redirect.from(new File("/dev/null")));
    builder.environment().putAll(step.env());
    Process process = builder.start();
    Started started = new Started(step.args().get(3), process, log);
    Path marker = workspace.resolve("out/started");
    long deadline = System.nanoTime() + AGENT_START.toNanos();
    while (!Files.exists(marker)) {
      assertThat(process.isAlive()).as("main step ended before the agent started:%n%s", Files.readString(log)).isTrue();
      assertThat(System.nanoTime()).as("the agent started within %s:%n%s", AGENT_START, Files.readString(log)).isLessThan(deadline);
      process.waitFor(200, TimeUnit.MILLISECONDS);
    }
    return started;
  }

  private static int indexOfPrefix(List<String> lines, String prefix) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith(prefix)) {
        return i;
      }
    }
    throw new AssertionError("no line starts with " + prefix + " in:\n" + String.join("\n", lines));
  }

  /** The one session directory the main step's core made under the session root it left in state. */
  private String onlySession() throws IOException {
    try (Stream<Path> sessions = Files.list(home.resolve(".taskbound/sessions"))) {
      List<Path> all = sessions.filter(Files::isDirectory).toList();
      assertThat(all).hasSize(1);
      return all.get(0).getFileName().toString();
    }
  }

  private static String sandboxContainers(String session) {
    return docker(Duration.ofSeconds(30), "ps", "--all", "--quiet", "--filter", "label=" + SANDBOX_LABEL,
            "--filter", "label=dev.taskbound.session=" + session)
        .output()
        .strip();
  }

  private void assertSealedBundle(String session) throws IOException {
    Path bundle = workspace.resolve("taskbound-evidence/KILL-1-" + session + ".zip");
    assertThat(bundle).isRegularFile();
    VerificationResult verified = BundleVerifier.verify(bundle);
    assertThat(verified.valid()).as(verified.message()).isTrue();
  }

  /** A main step running in the background: its container's name, the docker CLI process, its log. */
  private record Started(String name, Process process, Path log) {
    String awaitEnd() throws IOException, InterruptedException {
      if (!process.waitFor(STEP_END.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError("the main step did not end within " + STEP_END + ":\n" + Files.readString(log));
      }
      return Files.readString(log);
    }
  }
}
