package dev.taskbound.action;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.sandbox.OwnContainerId;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The Docker container action's entry point. With no argument it is the main step: it reads the
 * inputs, runs {@code taskbound run} once around the agent command, and reports {@code exit-code}
 * and {@code bundle} outputs and the bundle's summary. With the argument {@code post} it is the
 * post step ({@code post-entrypoint}), which finishes the teardown of any session whose main step
 * died. The action decides nothing about policy: it translates inputs and maps results.
 *
 * <p>Instances are immutable and hold no state between calls.
 */
public final class ActionMain {
  /**
   * The {@code $GITHUB_STATE} name under which the main step leaves the session root for post. No
   * {@code -}: the runner hands it to post as {@code STATE_session_root}, and a name with a dash is
   * one that shells such as dash silently drop from the environment they pass on.
   */
  static final String SESSION_ROOT_STATE = "session_root";

  /** The name releases before 0.2 used; still read, so a post step of a newer image finds their sessions. */
  static final String LEGACY_SESSION_ROOT_STATE = "session-root";

  /**
   * The image's {@code post-entrypoint}: a file whose first line makes the kernel start this jar with
   * {@code post} through {@code env -S} (which passes the environment on untouched), and the file's
   * path as the last argument.
   */
  static final String POST_ENTRYPOINT = "/opt/taskbound/post";

  /** Tells the core where to keep session directories (journals), so the post step can find them. */
  static final String SESSION_ROOT_VARIABLE = "TASKBOUND_SESSION_ROOT";

  /**
   * Tells the core the id of the container it runs in, so that the container backend can map its
   * paths to the host's through that container's bind mounts and use its image for the forwarder.
   */
  static final String DOCKER_SELF_VARIABLE = "TASKBOUND_DOCKER_SELF";

  /** Where the core puts the gateway socket; it must be on a bind mount for sibling containers. */
  static final String RUNTIME_DIR_VARIABLE = "TASKBOUND_RUNTIME_DIR";

  /**
   * How long a stopping JVM (the runner cancelled the job: SIGINT, then SIGTERM) waits for the main
   * step to write its outputs, summary and bundle; longer than the core's own teardown grace.
   */
  private static final long RESULTS_GRACE_SECONDS = 90;

  /** The core's Vault JWT login reads the token from this file (the action's OIDC token). */
  static final String OIDC_TOKEN_FILE_VARIABLE = "TASKBOUND_VAULT_JWT_FILE";

  /** Inputs that configure the core's GitHub App, and the core variable each becomes. */
  static final Map<String, String> GITHUB_APP_INPUTS = Map.of(
      "github-app-id", "TASKBOUND_GITHUB_APP_ID",
      "github-app-private-key", "TASKBOUND_GITHUB_APP_KEY",
      "github-api-url", "TASKBOUND_GITHUB_API_URL");

  /** The title of the annotations the action adds (core errors, blocked hosts). */
  static final String ANNOTATION_TITLE = "Taskbound";

  private final CoreCli core;
  private final FileCommands fileCommands;
  private final OwnContainerId self;

  /**
   * An action that drives {@code core}, writes file commands with random delimiters and finds its
   * own container from this process's {@code /proc} and {@code /etc}.
   */
  public ActionMain(CoreCli core) {
    this(core, new FileCommands(), new OwnContainerId(Path.of("/")));
  }

  ActionMain(CoreCli core, FileCommands fileCommands, OwnContainerId self) {
    this.core = Objects.requireNonNull(core, "core");
    this.fileCommands = Objects.requireNonNull(fileCommands, "fileCommands");
    this.self = Objects.requireNonNull(self, "self");
  }

  /** Runs the step named by {@code args} ({@code post} or nothing) and exits with its status. */
  public static void main(String[] args) {
    dev.taskbound.core.gate.AgentApiJvm.applyToThisJvm(); // before the core, in this JVM, starts an agent API
    System.exit(run(List.of(args), System.getenv(), System.out, System.err));
  }

  /** Runs the main step with the production core; see {@link #runMain}. */
  public static int run(Map<String, String> env, PrintStream out, PrintStream err) {
    return run(List.of(), env, out, err);
  }

  static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
    ActionMain action = new ActionMain(productionCore());
    if (args.isEmpty()) {
      return action.runMain(env, out, err);
    }
    if (args.equals(List.of("post")) || args.equals(List.of("post", POST_ENTRYPOINT))) {
      return action.runPost(env, out, err);
    }
    out.println(WorkflowCommands.error("unexpected entrypoint arguments " + args + ": accepted are none (main step) or 'post'"));
    return ExitCodes.USAGE;
  }

  /**
   * The production core: the core CLI in this JVM, which the action's jar shades in, for calls in
   * this process's working directory (the runner's {@code --workdir}, the workspace); otherwise in a
   * child process started from the same jar.
   */
  static CoreCli productionCore() {
    // -cp ignores the jar's manifest, so the child's JDK access is given here as the manifest gives
    // it to java -jar (and so to this JVM): taking the sandbox's listening socket (one relay hop,
    // recorded as gateway.sandbox_port_taken).
    CoreCli child = new ProcessCoreCli(List.of(javaExecutable(), "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "-cp", ownJar(), dev.taskbound.core.cli.Main.class.getName()));
    return new InProcessCoreCli(Path.of(""), child);
  }

  /**
   * The main step. Prints {@code ::error::} lines and returns {@link ExitCodes#USAGE} for bad inputs
   * without starting anything; otherwise returns the status of {@code taskbound run}, which is the
   * agent command's status or one of Taskbound's own (120-125).
   *
   * @param env the container's environment, as the runner set it; not modified
   */
  public int runMain(Map<String, String> env, PrintStream out, PrintStream err) {
    Optional<Path> outputFile = runnerFile(env, "GITHUB_OUTPUT");
    ActionInputs inputs;
    VaultInputs vault;
    try {
      inputs = ActionInputs.parse(env);
      vault = VaultInputs.parse(env);
    } catch (ActionInputException e) {
      e.problems().forEach(problem -> out.println(WorkflowCommands.error(problem)));
      outputFile.ifPresent(f -> fileCommands.append(f, "exit-code", Integer.toString(e.exitCode())));
      return e.exitCode();
    }
    Optional<String> local = LocalActionGuard.refusal(env);
    if (local.isPresent()) {
      out.println(WorkflowCommands.error(local.get()));
      outputFile.ifPresent(f -> fileCommands.append(f, "exit-code", Integer.toString(ExitCodes.USAGE)));
      return ExitCodes.USAGE;
    }
    // While the core runs in this JVM, a cancel (SIGINT, then SIGTERM) is the core's: it stops the
    // agent, tears down and returns. Otherwise a cancel stops the JVM; its shutdown hooks (a child
    // core's stops the core, which tears the session down) run while this thread goes on, and the
    // JVM halts when they return. This hook returns only once the results below are written, so a
    // cancelled run keeps them.
    CountDownLatch resultsWritten = new CountDownLatch(1);
    Thread keepResults = new Thread(() -> awaitQuietly(resultsWritten), "taskbound-keep-results");
    Runtime.getRuntime().addShutdownHook(keepResults);
    try {
      return runCore(inputs, vault, env, outputFile, out, err);
    } finally {
      resultsWritten.countDown();
      removeHook(keepResults);
    }
  }

  private int runCore(ActionInputs inputs, VaultInputs vault, Map<String, String> env, Optional<Path> outputFile,
      PrintStream out, PrintStream err) {
    Path workspace = workspace(env);
    Path sessionRoot = Path.of(env.getOrDefault("HOME", "/github/home"), ".taskbound", "sessions");
    try {
      runnerFile(env, "GITHUB_STATE").ifPresent(f -> fileCommands.append(f, SESSION_ROOT_STATE, sessionRoot.toString()));
      Path evidenceDir = workspace.resolve(inputs.evidenceDir());
      Optional<Path> elsewhere = WorkspaceOwner.leadsOutside(workspace, evidenceDir);
      if (elsewhere.isPresent()) {
        throw new ActionInputException(List.of("input 'evidence-dir' is '" + inputs.evidenceDir() + "': a symbolic link"
            + " takes it out of the workspace (to " + elsewhere.get() + "); give a directory inside the workspace"));
      }
      // Review finding LOW: the agent of an earlier run (or the checkout) can leave a policy file as a
      // link to a file the repository does not hold; the core would read it there.
      for (String policy : inputs.policyFiles()) {
        if (policy.startsWith(dev.taskbound.core.policy.GithubPolicyLocation.PREFIX)) {
          continue;
        }
        Optional<Path> outside = WorkspaceOwner.leadsOutside(workspace, workspace.resolve(policy));
        if (outside.isPresent()) {
          throw new ActionInputException(List.of("input 'policy-file' names '" + policy + "', which leads out of the"
              + " workspace (to " + outside.get() + ", through a symbolic link or the path itself); give policy files"
              + " the repository holds, by workspace-relative paths without links"));
        }
      }
      Set<Path> before = EvidenceBundles.list(evidenceDir, inputs.task());

      Map<String, String> coreEnv = coreEnvironment(env, sessionRoot);
      if (coreEnv.containsKey(RUNTIME_DIR_VARIABLE)) {
        createPrivateDirectories(Path.of(coreEnv.get(RUNTIME_DIR_VARIABLE)));
      }

      // Verified before anything of it is used: a token that is not stops the step before the core
      // starts and before the file exists, and says the environment input cannot be satisfied.
      Optional<OidcTokenVerifier.VerifiedToken> oidcToken =
          oidcToken(env, vault, out, ActionApprovals.unconfirmedByRefusedToken(env));
      Map<String, String> claims = RunClaims.of(oidcToken, env);
      List<String> extras = new java.util.ArrayList<>(RunOptions.extras(env, claims));
      extras.addAll(ActionApprovals.options(env, claims, oidcToken.isPresent(), new EnvironmentProtection(env),
          refusal -> out.println(WorkflowCommands.error(ANNOTATION_TITLE, refusal)))); // issue 16: approvals given before the run
      List<String> runArguments = RunOptions.withExtras(toRunArguments(inputs), extras);
      // With a GitHub App the org ceiling comes from the organisation's .github repository (issue 17).
      runArguments = OrgCeilingStep.withOrgCeiling(runArguments, env, coreEnv);
      Optional<Path> oidcFile = oidcTokenFile(oidcToken.map(OidcTokenVerifier.VerifiedToken::serialized), sessionRoot, coreEnv);
      // The core hands over the issued values before the agent starts: the runner masks them (and
      // their encodings) from then on. The agent's output then reaches the runner log fenced, so
      // nothing it prints (::warning::, ::add-mask::, ::stop-commands::) is run as a command.
      MaskHandoff handoff = new MaskHandoff(out, dev.taskbound.core.StopCommands.token());
      coreEnv.put(MaskHandoff.VARIABLE, "stdout");
      int status;
      // The evidence key's kid goes to the step summary the moment the core prints it (issue 14).
      HostRecord hostRecord = new HostRecord(err, runnerFile(env, "GITHUB_STEP_SUMMARY"));
      PrintStream coreErr = new PrintStream(hostRecord, true, StandardCharsets.UTF_8);
      try (PrintStream coreOut = new PrintStream(handoff, true, StandardCharsets.UTF_8)) {
        status = core.execute(runArguments, coreEnv, workspace, coreOut, coreErr);
        coreErr.flush();
        err.flush();
        handoff.finish();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the step's log", e);
      } finally {
        oidcFile.ifPresent(ActionMain::deleteQuietly);
      }

      // Taskbound's files go to the runner's user, so later steps (upload-artifact) can read them.
      // A failure is a warning: the run's outputs and summary still matter more than their owner.
      try {
        WorkspaceOwner.giveToWorkspaceOwner(workspace, evidenceDir);
      } catch (UncheckedIOException e) {
        out.println(WorkflowCommands.warning(ANNOTATION_TITLE, e.getMessage() + ": " + e.getCause().getMessage()
            + "; later steps running as the runner's user may not read the evidence"));
      }
      Optional<Path> found = EvidenceBundles.written(evidenceDir, inputs.task(), hostRecord.sessionId(), before);
      Optional<Path> verified = found.flatMap(b -> EvidenceBundles.verifiedCopy(b, workspace, hostRecord.kid(),
          sessionRoot.resolveSibling("verified"), reason -> out.println(WorkflowCommands.error(ANNOTATION_TITLE,
              "the evidence bundle is not published (no summary, outputs or attestation from it): " + reason))));
      Optional<Path> bundle = verified.isPresent() ? found : Optional.empty(); // named in the outputs; read from the copy
      Map<String, String> blocked = verified.map(EvidenceBundles::blockedHosts).orElse(Map.of());
      if (outputFile.isPresent()) {
        fileCommands.append(outputFile.get(), "exit-code", Integer.toString(status));
        fileCommands.append(outputFile.get(), "bundle", bundle.map(b -> workspace.relativize(b).toString()).orElse(""));
        fileCommands.append(outputFile.get(), "session-id", bundle.map(b -> EvidenceBundles.sessionId(b, inputs.task())).orElse(""));
        fileCommands.append(outputFile.get(), "blocked-hosts",
            String.join(",", blocked.keySet().stream().limit(BLOCKED_HOSTS_LISTED).toList()));
        fileCommands.append(outputFile.get(), "spiffe-id", verified.flatMap(EvidenceBundles::spiffeId).orElse(""));
      }
      blocked.entrySet().stream().limit(BLOCKED_HOSTS_ANNOTATED).forEach(b -> out.println(WorkflowCommands.warning(ANNOTATION_TITLE,
          "egress to " + b.getKey() + " was blocked; if the agent needs it, add '" + b.getValue() + "' to spec.egress.allow in the policy")));
      if (blocked.size() > BLOCKED_HOSTS_ANNOTATED) {
        out.println(WorkflowCommands.warning(ANNOTATION_TITLE, (blocked.size() - BLOCKED_HOSTS_ANNOTATED)
            + " more hosts were blocked; the job summary lists them (the bundle's events hold every one)"));
      }
      if (status >= ExitCodes.POLICY && status <= ExitCodes.USAGE) {
        out.println(WorkflowCommands.error(ANNOTATION_TITLE, "Taskbound ended the run with exit code " + status
            + " (120 policy, 121 sandbox, 122 credentials, 123 teardown, 124 TTL expired, 125 usage); the reason is in the step's log"));
      }
      Optional<Path> summaryFile = runnerFile(env, "GITHUB_STEP_SUMMARY");
      if (verified.isPresent() && summaryFile.isPresent()) {
        EvidenceBundles.summary(verified.get()).ifPresent(markdown -> StepSummary.append(summaryFile.get(), markdown));
      }
      summaryFile.ifPresent(f -> OrgCeilingStep.summary(verified, coreEnv).ifPresent(line -> StepSummary.append(f, line)));
      verified.ifPresent(EvidenceBundles::deleteQuietly);
      return status;
    } catch (UncheckedIOException e) {
      out.println(WorkflowCommands.error(e.getMessage() + ": " + e.getCause().getMessage()));
      return ExitCodes.USAGE;
    } catch (ActionInputException e) {
      e.problems().forEach(problem -> out.println(WorkflowCommands.error(problem)));
      outputFile.ifPresent(f -> fileCommands.append(f, "exit-code", Integer.toString(e.exitCode())));
      return e.exitCode();
    }
  }

  /**
   * The job's OIDC token, masked and verified ({@link OidcTokenVerifier}), when the action needs one:
   * for {@code vault-auth: jwt} (audience {@code oidc-audience}, else the Vault URL) or when
   * {@code oidc-audience} is set.
   *
   * @param whenRefused lines added to the refusal of a token that cannot be verified or is not accepted
   * @throws ActionInputException if the token cannot be fetched, cannot be verified or is not accepted
   */
  private static Optional<OidcTokenVerifier.VerifiedToken> oidcToken(Map<String, String> env, VaultInputs vault, PrintStream out,
      List<String> whenRefused) {
    Optional<String> token = fetchedOidcToken(env, vault, out);
    if (token.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(OidcTokenVerifier.forThisRun(env).verify(token.get(), oidcAudience(env, vault).orElseThrow()));
    } catch (ActionInputException e) {
      List<String> problems = new ArrayList<>(e.problems());
      problems.addAll(whenRefused);
      throw new ActionInputException(problems);
    }
  }

  /** The job's OIDC token as fetched and masked, not verified, when the action needs one. */
  private static Optional<String> fetchedOidcToken(Map<String, String> env, VaultInputs vault, PrintStream out) {
    Optional<String> audience = oidcAudience(env, vault);
    if (audience.isEmpty()) {
      return Optional.empty();
    }
    String token = OidcToken.fetch(env, audience.get());
    WorkflowCommands.addMask(token).forEach(out::println);
    return Optional.of(token);
  }

  /** {@code oidc-audience}, else the Vault URL for {@code vault-auth: jwt}; empty when no token is needed. */
  private static Optional<String> oidcAudience(Map<String, String> env, VaultInputs vault) {
    return vault.oidcAudience().or(() -> Optional.ofNullable(env.get(ActionInputs.variableFor("oidc-audience")))
        .map(String::strip).filter(a -> !a.isEmpty()));
  }

  /**
   * The OIDC token in a 0600 file under the runner's home (not the workspace, so not the agent's),
   * named to the core as the Vault JWT file.
   */
  private static Optional<Path> oidcTokenFile(Optional<String> oidcToken, Path sessionRoot,
      Map<String, String> coreEnv) {
    if (oidcToken.isEmpty()) {
      return Optional.empty();
    }
    String token = oidcToken.get();
    try {
      Path file = OidcToken.write(sessionRoot.resolveSibling("oidc"), token);
      coreEnv.put(OIDC_TOKEN_FILE_VARIABLE, file.toString());
      return Optional.of(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the OIDC token file", e);
    }
  }

  /**
   * The post step's OIDC token file, as the main step's: the teardown of a session the main step
   * left behind logs in to Vault again to revoke what it issued. A token that cannot be fetched or is
   * not accepted is a warning: the teardown still revokes everything else, and reports the Vault
   * steps it could not do.
   */
  private static Optional<Path> postOidcTokenFile(Map<String, String> env, Path sessionRoot, Map<String, String> coreEnv,
      PrintStream out) {
    try {
      // only Vault reads it here, and Vault verifies it: a key set unreachable now must not cost the revocations
      return oidcTokenFile(fetchedOidcToken(env, VaultInputs.parse(env), out), sessionRoot, coreEnv);
    } catch (ActionInputException e) {
      e.problems().forEach(p -> out.println(WorkflowCommands.warning(ANNOTATION_TITLE, "no OIDC token for the teardown: " + p)));
    } catch (UncheckedIOException e) {
      out.println(WorkflowCommands.warning(ANNOTATION_TITLE, e.getMessage() + ": " + e.getCause().getMessage()));
    } catch (RuntimeException e) {
      out.println(WorkflowCommands.warning(ANNOTATION_TITLE, "no OIDC token for the teardown: " + e.getMessage()));
    }
    return Optional.empty();
  }

  /**
   * The blocked hosts given a warning each: GitHub shows 10 warnings of a step, and the agent decides
   * how many hosts it tries; the rest are counted in one more.
   */
  static final int BLOCKED_HOSTS_ANNOTATED = 9;
  /** The blocked hosts in the {@code blocked-hosts} output, as many as the job summary lists: a job's outputs hold 1 MB. */
  static final int BLOCKED_HOSTS_LISTED = 200;

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // Under the runner's home, which the runner removes with the job.
    }
  }

  /**
   * The post step: runs {@code taskbound teardown --session DIR} for every session directory the
   * main step's core left under its session root. Teardown is idempotent, so sessions the main step
   * already closed are no-ops. Returns 0 when there is nothing to do, else the first non-zero status.
   *
   * @param env the container's environment, with {@code STATE_session_root} if the main step got as
   *     far as starting the core
   */
  public int runPost(Map<String, String> env, PrintStream out, PrintStream err) {
    String root = env.getOrDefault("STATE_" + SESSION_ROOT_STATE, env.get("STATE_" + LEGACY_SESSION_ROOT_STATE));
    if (root == null || root.isBlank() || !Files.isDirectory(Path.of(root))) {
      out.println("taskbound: no session to tear down");
      return 0;
    }
    List<Path> sessions;
    try (Stream<Path> children = Files.list(Path.of(root))) {
      sessions = children.filter(Files::isDirectory).sorted().toList();
    } catch (IOException e) {
      out.println(WorkflowCommands.error("cannot list the session root " + root + ": " + e.getMessage()));
      return ExitCodes.TEARDOWN;
    }
    int first = 0;
    Map<String, String> coreEnv = coreEnvironment(env, Path.of(root));
    // A session left behind (the main step cancelled or killed) revokes its Vault credentials with a
    // Vault token of its own: with vault-auth: jwt it logs in again, with a fresh OIDC token.
    Optional<Path> oidcFile = sessions.isEmpty() ? Optional.empty() : postOidcTokenFile(env, Path.of(root), coreEnv, out);
    try {
      for (Path session : sessions) {
        int status = core.execute(List.of("teardown", "--session", session.toString()), coreEnv, workspace(env), out, err);
        if (status != 0 && first == 0) {
          first = status;
        }
      }
    } finally {
      oidcFile.ifPresent(ActionMain::deleteQuietly);
    }
    // A bundle the post step sealed is root's too; it goes to the runner's user like the main step's.
    try {
      Path workspace = workspace(env);
      String evidence = Optional.ofNullable(env.get(ActionInputs.variableFor("evidence-dir"))).map(String::strip)
          .filter(d -> !d.isEmpty() && !Path.of(d).isAbsolute()).orElse(ActionInputs.DEFAULT_EVIDENCE_DIR);
      WorkspaceOwner.giveToWorkspaceOwner(workspace, workspace.resolve(evidence));
    } catch (UncheckedIOException e) {
      out.println(WorkflowCommands.warning(ANNOTATION_TITLE, e.getMessage() + ": " + e.getCause().getMessage()));
    }
    return first;
  }

  /**
   * The {@code taskbound run} arguments for {@code inputs}: task, each policy file, the optional
   * profile, sandbox, agent image and TTL, the evidence directory, then {@code -- sh -c COMMAND}.
   * Paths stay workspace-relative; the core runs in the workspace.
   */
  public static List<String> toRunArguments(ActionInputs inputs) {
    List<String> args = new ArrayList<>(List.of("run", "--task", inputs.task()));
    for (String policy : inputs.policyFiles()) {
      args.add("--policy");
      args.add(policy);
    }
    inputs.profile().ifPresent(p -> args.addAll(List.of("--profile", p)));
    inputs.sandbox().ifPresent(s -> args.addAll(List.of("--sandbox", s)));
    inputs.agentImage().ifPresent(i -> args.addAll(List.of("--image", i)));
    inputs.ttl().ifPresent(t -> args.addAll(List.of("--ttl", t)));
    args.addAll(List.of("--out", inputs.evidenceDir(), "--", "sh", "-c", inputs.command()));
    return List.copyOf(args);
  }

  /**
   * The core's environment: the runner's without its tokens, plus the session root and, inside a
   * container, this container's id and a runtime directory beside the session root, under the
   * mounted home: the container backend's forwarder mounts the gateway socket's directory from the
   * host, and the container's own /tmp is on no host path.
   */
  private Map<String, String> coreEnvironment(Map<String, String> env, Path sessionRoot) {
    Map<String, String> coreEnv = new TreeMap<>(RunnerEnvironment.withoutRunnerSecrets(env));
    // The GitHub App inputs become the core's configuration variables, which never reach the agent;
    // the INPUT_ variables themselves (the private key among them) are not passed on at all.
    GITHUB_APP_INPUTS.forEach((input, variable) -> {
      String value = coreEnv.remove(ActionInputs.variableFor(input));
      if (value != null && !value.isBlank()) {
        coreEnv.put(variable, value.strip());
      }
    });
    // The same for Vault (the secret id and token among them); the post step's teardown needs only
    // the address, so inputs it cannot read are left out there rather than failing it.
    VaultInputs.NAMES.forEach(input -> coreEnv.remove(ActionInputs.variableFor(input)));
    // The action's own GitHub token (it reads the environment's protection rules) is not the core's.
    coreEnv.remove(ActionInputs.variableFor(EnvironmentProtection.TOKEN_INPUT));
    try {
      coreEnv.putAll(VaultInputs.parse(env).variables());
    } catch (ActionInputException e) {
      // Reported by the main step, which parses them before anything starts.
    }
    coreEnv.put(SESSION_ROOT_VARIABLE, sessionRoot.toString());
    self.id().ifPresent(id -> {
      coreEnv.put(DOCKER_SELF_VARIABLE, id);
      coreEnv.putIfAbsent(RUNTIME_DIR_VARIABLE, sessionRoot.resolveSibling("run").toString());
    });
    return coreEnv;
  }

  /** The core makes its session's directory inside the runtime directory, not the directory itself. */
  private static void createPrivateDirectories(Path dir) {
    try {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the runtime directory " + dir, e);
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(RESULTS_GRACE_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyStopping) {
      // The JVM is stopping and the hook is running; it returns now that the results are written.
    }
  }

  private static Path workspace(Map<String, String> env) {
    String workspace = env.get("GITHUB_WORKSPACE");
    return (workspace == null || workspace.isBlank() ? Path.of("") : Path.of(workspace)).toAbsolutePath();
  }

  private static Optional<Path> runnerFile(Map<String, String> env, String variable) {
    return Optional.ofNullable(env.get(variable)).filter(s -> !s.isBlank()).map(Path::of);
  }

  private static String javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String ownJar() {
    try {
      return Path.of(ActionMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot locate the action's own jar", e);
    }
  }
}
