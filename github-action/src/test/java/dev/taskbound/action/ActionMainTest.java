package dev.taskbound.action;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.sandbox.OwnContainerId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Drives the action against a real child process standing in for the core CLI: a shell script
 * that records its arguments, environment and working directory, writes a bundle where the core
 * would, and exits with a chosen status.
 */
class ActionMainTest {

  private static final String FAKE_CORE =
      """
      printf '%s\\n' "$@" > "$CAPTURE_DIR/args"
      printf '%s ' "$@" >> "$CAPTURE_DIR/calls"; echo >> "$CAPTURE_DIR/calls"
      env > "$CAPTURE_DIR/env"
      pwd > "$CAPTURE_DIR/cwd"
      if [ -n "$FAKE_SESSION_LINE" ]; then echo "taskbound: task FIX-7, session s1, netns sandbox, ttl 1h" >&2; fi
      if [ -n "$FAKE_KID" ]; then echo "  evidence key: kid $FAKE_KID (record it; verify with --expect-kid)" >&2; fi
      if [ -n "$FAKE_BUNDLE" ]; then mkdir -p taskbound-evidence && cp "$FAKE_BUNDLE" taskbound-evidence/FIX-7-s1.zip; fi
      if [ -n "$FAKE_IMMUTABLE" ]; then touch taskbound-evidence/stuck && chattr +i taskbound-evidence/stuck; fi
      if [ -n "$FAKE_SWAP" ]; then mv taskbound-evidence "$FAKE_SWAP" && ln -s "$FAKE_SWAP" taskbound-evidence; fi
      if [ -n "$FAKE_PLANTED" ]; then
        echo "taskbound: task FIX-7, session zzzz, netns sandbox, ttl 1h" >&2
        cp "$FAKE_PLANTED" taskbound-evidence/FIX-7-zzzz.zip && touch -d '2030-01-01' taskbound-evidence/FIX-7-zzzz.zip
      fi
      if [ "$TASKBOUND_MASK_HANDOFF" = stdout ] && [ -n "$FAKE_MASK" ]; then
        printf 'taskbound-mask: %s\\n' "$(printf '%s' "$FAKE_MASK" | base64 -w0)"; echo taskbound-mask-end
      fi
      if [ -n "$TASKBOUND_VAULT_JWT_FILE" ]; then cat "$TASKBOUND_VAULT_JWT_FILE" > "$CAPTURE_DIR/jwt"; stat -c %a "$TASKBOUND_VAULT_JWT_FILE" > "$CAPTURE_DIR/jwt-mode"; fi
      if [ -n "$FAKE_PRINT" ]; then printf '%s\\n' "$FAKE_PRINT"; fi
      echo "taskbound: FIX-7 finished"
      exit "${FAKE_STATUS:-0}"
      """;

  /** The audience the OIDC tests ask for ({@code oidc-audience}). */
  private static final String AUDIENCE = "https://vault.example";
  /** The audience of the token for a Vault JWT login at {@code https://vault.example:8200/}: its URL without the slash. */
  private static final String VAULT_AUDIENCE = "https://vault.example:8200";

  @TempDir Path dir;
  private Path workspace;
  private Path capture;
  private Path fileCommands;
  private Map<String, String> env;
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private ActionMain action;
  /** GitHub's OIDC endpoints, for the tests that start them ({@link #oidc()}). */
  private GithubOidcStub github;

  @AfterEach
  void stopGithub() {
    if (github != null) {
      github.close();
    }
  }

  @BeforeEach
  void setUp() throws IOException {
    workspace = Files.createDirectories(dir.resolve("workspace"));
    capture = Files.createDirectories(dir.resolve("capture"));
    fileCommands = Files.createDirectories(dir.resolve("file_commands"));
    Path script = Files.writeString(dir.resolve("fake-core.sh"), FAKE_CORE);
    action = actionIn(Files.createDirectories(dir.resolve("host-root")));
    env = new HashMap<>();
    env.put("PATH", System.getenv("PATH"));
    env.put("CAPTURE_DIR", capture.toString());
    env.put("GITHUB_WORKSPACE", workspace.toString());
    env.put("HOME", dir.resolve("home").toString());
    env.put("GITHUB_OUTPUT", fileCommands.resolve("output").toString());
    env.put("GITHUB_STATE", fileCommands.resolve("state").toString());
    env.put("GITHUB_STEP_SUMMARY", fileCommands.resolve("summary").toString());
    env.put("INPUT_TASK", "FIX-7");
    env.put("INPUT_POLICY-FILE", "taskbound/policy.yml");
    env.put("INPUT_COMMAND", "make test && echo done");
    env.put("GITHUB_REPOSITORY_OWNER", "acme");
    env.put("GITHUB_REPOSITORY", "acme/app");
    env.put("INPUT_AGENT-IMAGE", "node:20-bookworm");
  }

  @Test
  void translatesInputsIntoOneRunCommandLine() {
    ActionInputs inputs =
        new ActionInputs(
            "FIX-123",
            List.of("org.yml", "task.yml"),
            Optional.of("coding-agent"),
            "aider --yes",
            Optional.of("container"),
            Optional.of("node:20"),
            Optional.of("30m"),
            "taskbound-evidence");

    List<String> args = ActionMain.toRunArguments(inputs);

    assertThat(args)
        .containsExactly(
            "run", "--task", "FIX-123", "--policy", "org.yml", "--policy", "task.yml", "--profile", "coding-agent",
            "--sandbox", "container", "--image", "node:20", "--ttl", "30m", "--out", "taskbound-evidence", "--", "sh", "-c", "aider --yes");
  }

  @Test
  void leavesOutOptionsWhoseInputsAreEmpty() {
    ActionInputs inputs =
        new ActionInputs(
            "T-1", List.of("p.yml"), Optional.empty(), "true", Optional.empty(), Optional.empty(), Optional.empty(), "ev");

    assertThat(ActionMain.toRunArguments(inputs))
        .containsExactly("run", "--task", "T-1", "--policy", "p.yml", "--out", "ev", "--", "sh", "-c", "true");
  }

  @Test
  void runsCoreInWorkspaceAndReportsItsStatusAndBundle() throws IOException {
    env.put("FAKE_STATUS", "3");
    SealedBundle sealed = useBundle(List.of());

    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isEqualTo(3);
    assertThat(Files.readAllLines(capture.resolve("args")))
        .containsExactly(
            "run", "--task", "FIX-7", "--policy", "taskbound/policy.yml", "--sandbox", "container", "--image",
            "node:20-bookworm", "--out", "taskbound-evidence", "--claim", "repository=acme/app", "--approvals-before-run",
            "--", "sh", "-c", "make test && echo done");
    assertThat(Files.readString(capture.resolve("cwd")).strip()).isEqualTo(workspace.toString());
    assertThat(Files.readString(fileCommands.resolve("output")))
        .isEqualTo("exit-code=3\nbundle=taskbound-evidence/FIX-7-s1.zip\nsession-id=s1\nblocked-hosts=\n"
            + "spiffe-id=spiffe://taskbound.local/task/FIX-7/s1\n");
    assertThat(Files.readString(fileCommands.resolve("summary"))).contains("`" + sealed.kid() + "`")
        .contains(EvidenceBundles.summary(sealed.zip()).orElseThrow().strip());
    assertThat(stdout.toString(StandardCharsets.UTF_8)).contains("taskbound: FIX-7 finished").doesNotContain("::error");
    assertThat(dir.resolve("home/.taskbound/verified")).as("the verified copy it read is gone").isEmptyDirectory();
  }

  /** The evidence directory is in the agent's workspace: a zip it plants with a later time is not the run's bundle. */
  @Test
  void theBundleIsTheOneOfTheSessionTheCoreNamedNotANewerOneTheAgentPlanted() throws IOException {
    env.put("FAKE_SESSION_LINE", "1");
    useBundle(List.of(denied("own.example")));
    Path planted = SealedBundle.write(dir.resolve("planted.zip"), "zzzz", List.of(denied("planted.example"))).zip();
    env.put("FAKE_PLANTED", planted.toString()); // with a fake first line too, after the core's

    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isZero();
    assertThat(workspace.resolve("taskbound-evidence/FIX-7-zzzz.zip")).exists();
    assertThat(Files.readString(fileCommands.resolve("output"))).contains("bundle=taskbound-evidence/FIX-7-s1.zip\n", "session-id=s1\n");
    assertThat(Files.readString(fileCommands.resolve("summary"))).contains("own.example").doesNotContain("planted.example");
  }

  /**
   * Review finding: a zip the agent planted under the run's own name stays there when the seal then
   * fails (a full disk): the step summary, the outputs and the documented attestation came from it.
   */
  @Test
  void aBundleUnderTheRunsNameSealedByAnotherKeyIsNotPublished() throws IOException {
    SealedBundle genuine = SealedBundle.write(dir.resolve("genuine.zip"), "s1", List.of());
    SealedBundle forged = SealedBundle.write(dir.resolve("forged.zip"), "s1", List.of(denied("forged.example")));
    env.put("FAKE_KID", genuine.kid()); // the key the core printed at open
    env.put("FAKE_BUNDLE", forged.zip().toString());
    env.put("FAKE_STATUS", "123"); // the seal failed, so the planted zip stayed

    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isEqualTo(123);
    assertThat(Files.readString(fileCommands.resolve("output"))).isEqualTo("exit-code=123\nbundle=\nsession-id=\nblocked-hosts=\nspiffe-id=\n");
    assertThat(Files.readString(fileCommands.resolve("summary"))).contains(genuine.kid()).doesNotContain("forged.example");
    assertThat(stdout.toString(StandardCharsets.UTF_8)).contains("::error title=Taskbound::the evidence bundle is not published"
        + " (no summary, outputs or attestation from it): ").contains("does not verify against the evidence key recorded at open (kid "
        + genuine.kid() + ")").doesNotContain("forged.example");
  }

  /** Review finding: the agent swapped the evidence directory for a link to a directory holding its own zip. */
  @Test
  void aBundleReachedThroughALinkInPlaceOfTheEvidenceDirectoryIsNotPublished() throws IOException {
    useBundle(List.of(denied("decoy.example"))); // sealed by the key printed: only the link gives it away
    env.put("FAKE_SWAP", "decoy");

    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(Files.readString(fileCommands.resolve("output"))).contains("bundle=\n", "blocked-hosts=\n");
    assertThat(fileCommands.resolve("summary")).satisfiesAnyOf(
        f -> assertThat(f).doesNotExist(), f -> assertThat(Files.readString(f)).doesNotContain("decoy.example"));
    assertThat(stdout.toString(StandardCharsets.UTF_8)).contains("is reached through a symbolic link");
  }

  /** Review finding: a workflow without the App ran under no org ceiling, and the summary said nothing of it. */
  @Test
  void withoutAnAppTheSummarySaysNoOrgCeilingWasRead() throws IOException {
    useBundle(List.of(denied("example.com")));

    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(Files.readAllLines(capture.resolve("args"))).doesNotContain("--ceiling");
    assertThat(Files.readString(fileCommands.resolve("summary"))).endsWith(OrgCeilingStep.NO_APP)
        .contains("**No org ceiling**: no GitHub App is configured (`github-app-id`), so none was read;");
  }

  @Test
  void reportsEmptyBundleWhenCoreWroteNone() throws IOException {
    Path evidence = Files.createDirectories(workspace.resolve("taskbound-evidence"));
    Files.write(evidence.resolve("FIX-7-older.zip"), new byte[0]);

    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isZero();
    assertThat(Files.readString(fileCommands.resolve("output"))).isEqualTo("exit-code=0\nbundle=\nsession-id=\nblocked-hosts=\nspiffe-id=\n");
    assertThat(fileCommands.resolve("summary")).doesNotExist();
  }

  @Test
  void keepsRunnerTokensFromTheCore() throws IOException {
    env.put("ACTIONS_RUNTIME_TOKEN", "sentinel-runtime-4c1f");
    env.put("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "sentinel-oidc-9b2e");
    env.put("ACTIONS_ID_TOKEN_REQUEST_URL", "https://pipelines.example/sentinel-url-77aa");
    env.put("GITHUB_REPOSITORY", "acme/app");

    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    String coreEnv = Files.readString(capture.resolve("env"));
    assertThat(coreEnv).contains("GITHUB_REPOSITORY=acme/app");
    assertThat(coreEnv).doesNotContain("ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST", "sentinel-");
  }

  @Test
  void leavesSessionRootForPostStepBeforeStartingCore() throws IOException {
    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    String root = dir.resolve("home/.taskbound/sessions").toString();
    assertThat(Files.readString(fileCommands.resolve("state"))).isEqualTo("session_root=" + root + "\n");
    assertThat(Files.readString(capture.resolve("env"))).contains("TASKBOUND_SESSION_ROOT=" + root + "\n");
  }

  @Test
  void rejectsBadInputsWithErrorLinesAndStartsNothing() throws IOException {
    env.remove("INPUT_TASK");
    env.put("INPUT_SANDBOX", "docker");

    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isEqualTo(ExitCodes.USAGE);
    assertThat(stdout.toString(StandardCharsets.UTF_8).lines())
        .containsExactly(
            "::error::input 'task' is required: set it to the approved task ID, e.g. 'task: FIX-123'",
            "::error::input 'sandbox' is 'docker': accepted values are netns, container, proxy, or empty for container");
    assertThat(Files.readString(fileCommands.resolve("output"))).isEqualTo("exit-code=125\n");
    assertThat(capture.resolve("args")).doesNotExist();
    assertThat(fileCommands.resolve("state")).doesNotExist();
  }

  @Test
  void masksEveryIssuedLineThenFencesTheAgentSoItCannotIssueWorkflowCommands() {
    env.put("FAKE_MASK", "ghs_issuedTOKEN0123456789\n-----BEGIN KEY-----\nkeyline0123");
    env.put("FAKE_PRINT", "::warning::x\n::add-mask::taskbound\n::stop-commands::guess\n::guess::\ntaskbound-mask-end");

    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));
    List<String> lines = stdout.toString(StandardCharsets.UTF_8).lines().toList();
    ByteArrayOutputStream second = new ByteArrayOutputStream();
    action.runMain(env, print(second), print(OutputStream.nullOutputStream()));

    assertThat(lines.subList(0, 3)).containsExactly(
        "::add-mask::ghs_issuedTOKEN0123456789", "::add-mask::-----BEGIN KEY-----", "::add-mask::keyline0123");
    assertThat(lines.get(3)).matches("::stop-commands::[0-9a-f]{32}");
    String token = lines.get(3).substring("::stop-commands::".length());
    assertThat(lines.subList(4, 10)).containsExactly(
        "::warning::x", "::add-mask::taskbound", "::stop-commands::guess", "::guess::", "taskbound-mask-end",
        "taskbound: FIX-7 finished");
    assertThat(lines.subList(10, lines.size())).containsExactly("", "::" + token + "::");
    assertThat(stdout.toString(StandardCharsets.UTF_8)).doesNotContain("taskbound-mask: ");
    assertThat(second.toString(StandardCharsets.UTF_8)).as("a fresh token per run").doesNotContain(token);
  }

  @Test
  void aCoreThatEndsBeforeTheAgentLeavesNoFenceOpen() {
    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isZero();
    assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("taskbound: FIX-7 finished\n");
  }

  @Test
  void reportsEachBlockedHostOnceAsAWarningWithTheRuleToAddAndAsAnOutput() throws IOException {
    useBundle(List.of(denied("evil.example"), new SealedBundle.Event("egress.allowed", Map.of("host", "ok.example")),
        denied("evil.example"), denied("cdn.example")));

    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(stdout.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("::warning")))
        .containsExactly(
            "::warning title=Taskbound::egress to evil.example:443 was blocked; if the agent needs it, add 'evil.example:443' to spec.egress.allow in the policy",
            "::warning title=Taskbound::egress to cdn.example:443 was blocked; if the agent needs it, add 'cdn.example:443' to spec.egress.allow in the policy");
    assertThat(Files.readString(fileCommands.resolve("output"))).contains("blocked-hosts=evil.example:443,cdn.example:443\n");
  }

  /**
   * Review finding: the agent decides how many hosts it tries, and each got a warning and a place in
   * the output (100,000 under the gateway's cap): GitHub shows 10 warnings of a step and a job's
   * outputs hold 1 MB. Nine warnings, then one counting the rest; the output lists as many as the summary.
   */
  @Test
  void manyBlockedHostsGetNineWarningsAndOneForTheRestAndTheOutputListsTwoHundred() throws IOException {
    List<SealedBundle.Event> events = new java.util.ArrayList<>();
    for (int i = 0; i < 250; i++) {
      events.add(denied(String.format("h%03d.example", i)));
    }
    useBundle(events);

    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    List<String> warnings = stdout.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("::warning")).toList();
    assertThat(warnings).hasSize(10);
    assertThat(warnings.get(8)).contains("egress to h008.example:443 was blocked");
    assertThat(warnings.get(9)).isEqualTo("::warning title=Taskbound::241 more hosts were blocked; the job summary lists them"
        + " (the bundle's events hold every one)");
    String output = Files.readString(fileCommands.resolve("output"));
    assertThat(output).contains("blocked-hosts=h000.example:443,").contains(",h199.example:443\n").doesNotContain("h200.example");
  }

  @Test
  void annotatesTaskboundsOwnExitCodesAsErrorsButNotTheAgents() {
    env.put("FAKE_STATUS", "121");
    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));
    ByteArrayOutputStream agentFailure = new ByteArrayOutputStream();
    env.put("FAKE_STATUS", "1");
    action.runMain(env, print(agentFailure), print(OutputStream.nullOutputStream()));

    assertThat(stdout.toString(StandardCharsets.UTF_8)).contains("::error title=Taskbound::Taskbound ended the run with exit code 121 (");
    assertThat(agentFailure.toString(StandardCharsets.UTF_8)).doesNotContain("::error");
  }

  /**
   * Review finding: with the App, the org ceiling was read from whatever API {@code github-api-url}
   * named, so a workflow could serve its own file as the org ceiling and have the summary show it
   * applied. Only the runner's own GitHub is read; the core never starts otherwise.
   */
  @Test
  void withAnAppAGithubApiUrlThatIsNotTheRunnersIsRefusedBeforeTheCoreStarts() throws IOException {
    env.put("INPUT_GITHUB-APP-ID", "12345");
    env.put("INPUT_GITHUB-API-URL", "http://127.0.0.1:18777");
    env.put("GITHUB_API_URL", "https://api.github.com");

    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isEqualTo(ExitCodes.USAGE);
    assertThat(stdout.toString(StandardCharsets.UTF_8)).contains("github-api-url 'http://127.0.0.1:18777' is not the runner's"
        + " GITHUB_API_URL 'https://api.github.com': with a GitHub App the org ceiling is read, and only from the runner's own"
        + " GitHub; accepted: leave github-api-url empty, or give the runner's");
    assertThat(capture.resolve("args")).doesNotExist();
  }

  @Test
  void handsTheGithubAppInputsToTheCoreAsItsVariablesAndDropsTheInputs() throws IOException {
    env.put("INPUT_GITHUB-APP-ID", "12345");
    env.put("INPUT_GITHUB-APP-PRIVATE-KEY", "-----BEGIN PRIVATE KEY-----\nsentinel-key\n-----END PRIVATE KEY-----\n");
    env.put("INPUT_GITHUB-API-URL", "https://ghe.example/api/v3");
    env.put("GITHUB_API_URL", "https://ghe.example/api/v3/");

    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    String coreEnv = Files.readString(capture.resolve("env"));
    assertThat(coreEnv).contains("TASKBOUND_GITHUB_APP_ID=12345\n", "TASKBOUND_GITHUB_API_URL=https://ghe.example/api/v3\n",
        "TASKBOUND_GITHUB_APP_KEY=-----BEGIN PRIVATE KEY-----\nsentinel-key\n-----END PRIVATE KEY-----\n");
    assertThat(coreEnv).doesNotContain("INPUT_GITHUB-");
  }

  @Test
  void withAGithubAppTheCoreReadsTheOrgCeilingFromTheOrganisationsDotGithubRepository() throws IOException {
    env.put("INPUT_GITHUB-APP-ID", "12345");
    useBundle(List.of(new SealedBundle.Event("policy.org_ceiling", Map.of("source", "github:acme/.github/taskbound/ceiling.yml",
        "applied", true, "branch", "main", "commit", "9f1c", "digest", "sha256:ab"))));

    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(Files.readAllLines(capture.resolve("args")))
        .containsSubsequence("--out", "taskbound-evidence", "--ceiling", "github:acme/.github/taskbound/ceiling.yml", "--",
            "sh", "-c")
        .doesNotContain("--repository-ceiling");
    assertThat(Files.readString(fileCommands.resolve("summary"))).endsWith("**Org ceiling**:"
        + " `github:acme/.github/taskbound/ceiling.yml` at `main` commit `9f1c` (`sha256:ab`); the repository's policy"
        + " could only narrow it.\n");
  }

  @Test
  void ceilingRepositoryIsPassedOnAndTheSummarySaysPlainlyThatNoOrgCeilingApplied() throws IOException {
    env.put("INPUT_GITHUB-APP-ID", "12345");
    env.put("INPUT_CEILING", "repository");
    useBundle(List.of(new SealedBundle.Event("policy.org_ceiling", Map.of("applied", false,
        "missing", "acme/.github has no taskbound/ceiling.yml at main"))));

    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(Files.readAllLines(capture.resolve("args")))
        .containsSubsequence("--ceiling", "github:acme/.github/taskbound/ceiling.yml", "--repository-ceiling", "--");
    assertThat(Files.readString(fileCommands.resolve("summary"))).contains("**No org ceiling applied**: acme/.github has"
        + " no taskbound/ceiling.yml at main; the repository's policy files decide (`ceiling: repository`).");
  }

  @Test
  void withoutAGithubAppNoOrgCeilingIsAskedFor() throws IOException {
    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(Files.readAllLines(capture.resolve("args"))).doesNotContain("--ceiling", "--repository-ceiling");
  }

  @Test
  void rejectsAnUnknownCeilingInputAndStartsNothing() throws IOException {
    env.put("INPUT_CEILING", "workflow");

    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isEqualTo(ExitCodes.USAGE);
    assertThat(stdout.toString(StandardCharsets.UTF_8)).contains("::error::input 'ceiling' is 'workflow': accepted values"
        + " are 'org'");
    assertThat(capture.resolve("args")).doesNotExist();
  }

  @Test
  void fetchesTheOidcTokenForTheAudienceVerifiesItAndHandsItToTheCoreAsAPrivateFile() throws IOException {
    String token = GithubOidcStub.sign(oidc().claims(AUDIENCE).build());

    int status = runMainWithOidcToken(token);

    assertThat(status).isZero();
    // The token from the runner with the request token, then the issuer's keys, asked for with no credential.
    assertThat(github.requests()).containsExactly(GithubOidcStub.tokenRequestLine(AUDIENCE), GithubOidcStub.KEYS_REQUEST_LINE);
    assertThat(Files.readString(capture.resolve("jwt"))).isEqualTo(token);
    assertThat(Files.readString(capture.resolve("jwt-mode")).strip()).isEqualTo("600");
    assertThat(Files.readString(capture.resolve("env")))
        .contains("TASKBOUND_VAULT_JWT_FILE=" + dir.resolve("home/.taskbound/oidc"))
        .doesNotContain("sentinel-request-token");
    assertThat(stdout.toString(StandardCharsets.UTF_8)).startsWith("::add-mask::" + token + "\n");
    try (java.util.stream.Stream<Path> left = Files.list(dir.resolve("home/.taskbound/oidc"))) {
      assertThat(left).as("the token file is removed after the run").isEmpty();
    }
  }

  @Test
  void putsTheVerifiedTokensRunClaimsIntoTheIdentity() throws IOException {
    env.put("GITHUB_WORKFLOW_REF", "acme/app/.github/workflows/from-env.yml@refs/heads/main");

    runMainWithOidcToken(GithubOidcStub.sign(oidc().claims(AUDIENCE).build()));

    assertThat(Files.readAllLines(capture.resolve("args"))).containsSubsequence(
        "--claim", "repository=acme/app", "--claim", "run_id=5964880612", "--claim", "run_attempt=2",
        "--claim", "workflow_ref=acme/app/.github/workflows/agent.yml@refs/heads/main",
        "--claim", "sha=0123456789abcdef0123456789abcdef01234567", "--claim", "actor=octocat",
        "--claim", "job_workflow_ref=acme/app/.github/workflows/agent.yml@refs/heads/main", "--", "sh");
    assertThat(Files.readString(capture.resolve("args"))).doesNotContain("from-env", "event_name");
  }

  @Test
  void stopsBeforeTheCoreWhenTheOidcTokenIsNoJwtNeverQuotingIt() throws IOException {
    int status = runMainWithOidcToken("sentinel-not-a-jwt");

    assertRefusedBeforeTheCore(status, "sentinel-not-a-jwt", notAccepted("it is not a JWT"));
    assertThat(github.requests()).containsExactly(GithubOidcStub.tokenRequestLine(AUDIENCE));
  }

  /**
   * Review finding (MEDIUM, approvals without a human): a job's own {@code env:} can set the OIDC
   * request pair when the runner does not, and point it at a server handing out a token that names
   * environment 'production'; the core then granted every approve rule of that environment.
   */
  @Test
  void anUnsignedTokenNamingProductionGrantsNoApprovalAndSaysWhy() throws IOException {
    String forged = GithubOidcStub.unsigned(productionClaims().build());

    int status = runMainWithOidcToken(forged, "production");

    assertProductionRefused(status, forged, "it is unsigned (alg none)");
  }

  /** Review finding (MEDIUM): as above, the forgery signed with a key of its own under the issuer's kid. */
  @Test
  void aTokenSignedByAnotherKeyNamingProductionGrantsNoApprovalAndSaysWhy() throws IOException {
    String forged = GithubOidcStub.sign(productionClaims().build(), GithubOidcStub.newKey());

    int status = runMainWithOidcToken(forged, "production");

    assertProductionRefused(status, forged, "its signature is not the issuer's (Signed JWT rejected: Invalid signature)");
    assertThat(github.requests()).containsExactly(GithubOidcStub.tokenRequestLine(AUDIENCE), GithubOidcStub.KEYS_REQUEST_LINE);
  }

  @Test
  void refusesATokenOfAnotherIssuer() throws IOException {
    String token = GithubOidcStub.sign(productionClaims().issuer("https://token.actions.githubusercontent.com").build());

    int status = runMainWithOidcToken(token, "production");

    assertProductionRefused(status, token, "its iss is 'https://token.actions.githubusercontent.com'");
  }

  @Test
  void refusesATokenForAnotherAudience() throws IOException {
    String token = GithubOidcStub.sign(productionClaims().audience("https://other.example").build());

    int status = runMainWithOidcToken(token, "production");

    assertProductionRefused(status, token, "its aud is 'https://other.example'");
  }

  @Test
  void refusesAnExpiredToken() throws IOException {
    Instant issued = Instant.now().minus(Duration.ofHours(2));
    String token = GithubOidcStub.sign(productionClaims().issueTime(Date.from(issued))
        .notBeforeTime(Date.from(issued.minus(Duration.ofMinutes(5)))).expirationTime(Date.from(issued.plus(Duration.ofHours(1))))
        .build());

    int status = runMainWithOidcToken(token, "production");

    assertProductionRefused(status, token, "its claims are refused (Expired JWT)");
  }

  @Test
  void refusesATokenOfAnotherRepository() throws IOException {
    String token = GithubOidcStub.sign(productionClaims().claim("repository", "acme/other")
        .subject("repo:acme/other:environment:production").build());

    int status = runMainWithOidcToken(token, "production");

    assertProductionRefused(status, token, "its repository is 'acme/other'");
  }

  @Test
  void refusesATokenOfAnotherRun() throws IOException {
    String token = GithubOidcStub.sign(productionClaims().claim("run_id", "5964880611").build());

    int status = runMainWithOidcToken(token, "production");

    assertProductionRefused(status, token, "its run_id is '5964880611'");
  }

  /** Review finding (LOW): a token is bound to the run's attempt, not only the run; a re-run's job gets no earlier token's claims. */
  @Test
  void refusesATokenOfAnotherAttemptOfThisRun() throws IOException {
    String token = GithubOidcStub.sign(productionClaims().claim("run_attempt", "1").build());

    int status = runMainWithOidcToken(token, "production");

    assertProductionRefused(status, token, "its run_attempt is '1'");
  }

  @Test
  void takesTheRunClaimsFromTheRunnersVariablesWithoutAnOidcToken() throws IOException {
    env.put("GITHUB_REPOSITORY", "acme/app");
    env.put("GITHUB_RUN_ID", "77");
    env.put("GITHUB_RUN_ATTEMPT", "1");
    env.put("GITHUB_WORKFLOW_REF", "acme/app/.github/workflows/agent.yml@refs/pull/3/merge");
    env.put("GITHUB_SHA", "abc123");
    env.put("GITHUB_ACTOR", "octocat");

    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(Files.readAllLines(capture.resolve("args"))).containsSubsequence(
        "--out", "taskbound-evidence", "--claim", "repository=acme/app", "--claim", "run_id=77", "--claim", "run_attempt=1",
        "--claim", "workflow_ref=acme/app/.github/workflows/agent.yml@refs/pull/3/merge", "--claim", "sha=abc123",
        "--claim", "actor=octocat", "--", "sh", "-c");
    assertThat(Files.readString(capture.resolve("args"))).doesNotContain("job_workflow_ref");
  }

  @Test
  void logsInToVaultWithTheJobsOidcTokenForTheVaultUrlAndKeepsTheInputsFromTheCore() throws IOException {
    String token = GithubOidcStub.sign(oidc().claims(VAULT_AUDIENCE).build());
    putVaultJwtInputs(token);
    env.put("INPUT_VAULT-NAMESPACE", "team-a");

    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isZero();
    assertThat(github.requests()).containsExactly(
        GithubOidcStub.tokenRequestLine(VAULT_AUDIENCE), GithubOidcStub.KEYS_REQUEST_LINE);
    String coreEnv = Files.readString(capture.resolve("env"));
    assertThat(coreEnv).contains("TASKBOUND_VAULT_ADDR=https://vault.example:8200/\n", "TASKBOUND_VAULT_NAMESPACE=team-a\n",
        "TASKBOUND_VAULT_AUTH=jwt\n", "TASKBOUND_VAULT_JWT_ROLE=taskbound-ci\n",
        "TASKBOUND_VAULT_JWT_FILE=" + dir.resolve("home/.taskbound/oidc"));
    assertThat(coreEnv).doesNotContain("INPUT_VAULT-", "sentinel-request-token");
    assertThat(Files.readString(capture.resolve("jwt"))).isEqualTo(token);
  }

  @Test
  void handsAnAppRoleLoginToTheCoreWithoutFetchingAnOidcToken() throws IOException {
    env.put("INPUT_VAULT-URL", "http://127.0.0.1:8200");
    env.put("INPUT_VAULT-AUTH", "approle");
    env.put("INPUT_VAULT-ROLE", "role-0001");
    env.put("INPUT_VAULT-SECRET-ID", "sentinel-secret-id");
    env.put("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:9/never-asked");
    env.put("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "sentinel-request-token");

    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isZero();
    assertThat(Files.readString(capture.resolve("env"))).contains("TASKBOUND_VAULT_AUTH=approle\n",
        "TASKBOUND_VAULT_ROLE_ID=role-0001\n", "TASKBOUND_VAULT_SECRET_ID=sentinel-secret-id\n")
        .doesNotContain("TASKBOUND_VAULT_JWT", "INPUT_VAULT-");
    assertThat(stdout.toString(StandardCharsets.UTF_8)).doesNotContain("sentinel-");
  }

  @Test
  void passesEgressAllowAndPassEnvToTheCoreAsItsOptions() throws IOException {
    env.put("INPUT_EGRESS-ALLOW", "api.github.com, registry.npmjs.org\n*.anthropic.com:443\n");
    env.put("INPUT_PASS-ENV", "ANTHROPIC_API_KEY\nPROMPT");

    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(Files.readAllLines(capture.resolve("args"))).containsSubsequence("--out", "taskbound-evidence",
        "--egress-allow", "api.github.com", "--egress-allow", "registry.npmjs.org", "--egress-allow", "*.anthropic.com:443",
        "--pass-env", "ANTHROPIC_API_KEY", "--pass-env", "PROMPT", "--", "sh");
  }

  @Test
  void givesTheEvidenceToTheWorkspaceOwnerSoLaterStepsCanReadIt() throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to chown");
    Files.setAttribute(workspace, "unix:uid", 1001);
    Files.setAttribute(workspace, "unix:gid", 121);
    useBundle(List.of());

    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    Path bundle = workspace.resolve("taskbound-evidence/FIX-7-s1.zip");
    assertThat(Files.getAttribute(bundle, "unix:uid")).isEqualTo(1001);
    assertThat(Files.getAttribute(bundle, "unix:gid")).isEqualTo(121);
    assertThat(Files.getAttribute(bundle.getParent(), "unix:uid")).isEqualTo(1001);
  }

  @Test
  void anEvidenceFileThatCannotChangeOwnerIsAWarningAndTheRunsOutputsAreStillWritten() throws IOException,
      InterruptedException {
    org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to chown");
    Path probe = Files.createFile(dir.resolve("probe"));
    org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("chattr", "+i", probe.toString()).start().waitFor() == 0,
        "needs chattr +i on this file system");
    new ProcessBuilder("chattr", "-i", probe.toString()).start().waitFor();
    Files.setAttribute(workspace, "unix:uid", 1001);
    useBundle(List.of());
    env.put("FAKE_IMMUTABLE", "1"); // root itself cannot chown an immutable file

    int status;
    try {
      status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));
    } finally {
      new ProcessBuilder("chattr", "-i", workspace.resolve("taskbound-evidence/stuck").toString()).start().waitFor();
    }

    assertThat(status).isZero();
    assertThat(stdout.toString(StandardCharsets.UTF_8)).containsPattern(
        "::warning title=Taskbound::cannot give 1 entry of .*taskbound-evidence to the workspace's owner: .*stuck.*; later steps"
            + " running as the runner's user may not read the evidence");
    assertThat(Files.readString(fileCommands.resolve("output"))).startsWith("exit-code=0\nbundle=taskbound-evidence/FIX-7-s1.zip\n");
    // the walk went on past the stuck file: the bundle is the runner's whatever the directory order
    assertThat(Files.getAttribute(workspace.resolve("taskbound-evidence/FIX-7-s1.zip"), "unix:uid")).isEqualTo(1001);
  }

  @Test
  void leavesAnEvidenceDirectoryThatLinksOutOfTheWorkspaceAlone() throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to chown");
    Files.setAttribute(workspace, "unix:uid", 1001);
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(outside.resolve("FIX-7-old.zip"), "x");
    Files.createSymbolicLink(workspace.resolve("taskbound-evidence"), outside);

    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    // refused before the core runs: the bundles would be written through the link, out of the workspace
    assertThat(status).isEqualTo(ExitCodes.USAGE);
    assertThat(stdout.toString()).contains("input 'evidence-dir' is 'taskbound-evidence': a symbolic link takes it out of"
        + " the workspace (to " + outside.toRealPath() + ")");
    assertThat(capture.resolve("args")).doesNotExist();
    assertThat(Files.getAttribute(outside.resolve("FIX-7-old.zip"), "unix:uid")).isEqualTo(0);
    assertThat(Files.getAttribute(outside, "unix:uid")).isEqualTo(0);
  }

  /** Review finding (LOW): a policy file that is a link to a file outside the workspace is not read. */
  @Test
  void refusesAPolicyFileThatIsALinkToAFileOutsideTheWorkspace() throws IOException {
    Path outside = Files.writeString(dir.resolve("outside-policy.yml"), "apiVersion: taskbound.dev/v1\n");
    Files.createDirectories(workspace.resolve("taskbound"));
    Files.createSymbolicLink(workspace.resolve("taskbound/policy.yml"), outside);

    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isEqualTo(ExitCodes.USAGE);
    assertThat(errors()).containsExactly("::error::input 'policy-file' names 'taskbound/policy.yml', which leads out of the"
        + " workspace (to " + outside.toRealPath() + ", through a symbolic link or the path itself); give policy files the"
        + " repository holds, by workspace-relative paths without links");
    assertThat(capture.resolve("args")).as("the core never started").doesNotExist();
  }

  /** Final review: normalize() dropped "ln/..", while the kernel follows ln first and opens outside. */
  @Test
  void refusesAPolicyFileWhosePathClimbsOutOfALink() throws IOException {
    Path outsideDir = Files.createDirectories(dir.resolve("elsewhere/deep"));
    Files.writeString(dir.resolve("elsewhere/policy.yml"), "apiVersion: taskbound.dev/v1\n");
    Files.writeString(workspace.resolve("policy.yml"), "apiVersion: taskbound.dev/v1\n");
    Files.createSymbolicLink(workspace.resolve("ln"), outsideDir);
    env.put("INPUT_POLICY-FILE", "ln/../policy.yml");

    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isEqualTo(ExitCodes.USAGE);
    assertThat(errors()).singleElement().asString().startsWith("::error::input 'policy-file' names 'ln/../policy.yml',"
        + " which leads out of the workspace");
    assertThat(capture.resolve("args")).as("the core never started").doesNotExist();
  }

  @Test
  void refusesAnEvidenceDirectoryThatIsALinkToNothingOutsideTheWorkspace() throws IOException {
    Files.createSymbolicLink(workspace.resolve("taskbound-evidence"), dir.resolve("outside-not-yet"));

    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isEqualTo(ExitCodes.USAGE);
    assertThat(stdout.toString()).contains("a symbolic link takes it out of the workspace (to " + dir.resolve("outside-not-yet"));
    assertThat(capture.resolve("args")).doesNotExist();
  }

  /**
   * This run's claims for {@link #AUDIENCE} as a job that ran in environment 'production' gets them:
   * GitHub adds the claim and the sub form.
   */
  private JWTClaimsSet.Builder productionClaims() {
    return oidc().claims(AUDIENCE).subject("repo:acme/app:environment:production").claim("environment", "production");
  }

  /** What the action says when the input names production and the token confirming it is refused. */
  private static final String PRODUCTION_UNCONFIRMED = "::error::input 'environment' is 'production' but only a verified"
      + " OIDC token can confirm it, and the job's was not accepted (above): no approval is settled from it";

  /** The action's GitHub token ({@code github-token}), a sentinel that must reach only GitHub's API. */
  private static final String GITHUB_TOKEN = "sentinel-github-token";

  /**
   * GitHub's "Get an environment" answer (the documented example's shape) for 'production' with
   * {@code rules} as its protection_rules.
   */
  private static String environmentAnswer(String rules) {
    return "{\"id\":161088068,\"node_id\":\"MDExOkVudmlyb25tZW50MTYxMDg4MDY4\",\"name\":\"production\","
        + "\"url\":\"https://api.github.com/repos/acme/app/environments/production\","
        + "\"html_url\":\"https://github.com/acme/app/deployments/activity_log?environments_filter=production\","
        + "\"created_at\":\"2020-11-23T22:00:40Z\",\"updated_at\":\"2020-11-23T22:00:40Z\"" + rules
        + ",\"deployment_branch_policy\":{\"protected_branches\":false,\"custom_branch_policies\":true}}";
  }

  private static final String WAIT_TIMER = "{\"id\":3736,\"node_id\":\"MDQ6R2F0ZTM3MzY=\",\"type\":\"wait_timer\",\"wait_timer\":30}";
  private static final String BRANCH_POLICY = "{\"id\":3756,\"node_id\":\"MDQ6R2F0ZTM3NTY=\",\"type\":\"branch_policy\"}";

  private static String requiredReviewers(boolean preventSelfReview) {
    return "{\"id\":3755,\"node_id\":\"MDQ6R2F0ZTM3NTU=\",\"prevent_self_review\":" + preventSelfReview
        + ",\"type\":\"required_reviewers\",\"reviewers\":[{\"type\":\"User\",\"reviewer\":{\"login\":\"octocat\","
        + "\"id\":1,\"type\":\"User\"}},{\"type\":\"Team\",\"reviewer\":{\"id\":1,\"name\":\"Justice League\","
        + "\"slug\":\"justice-league\"}}]}";
  }

  /** The request the action makes for production's protection rules, as {@link GithubOidcStub#requests()} lists it. */
  private static final String ENVIRONMENT_REQUEST = "GET " + GithubOidcStub.environmentPath("production") + " Bearer " + GITHUB_TOKEN;

  @Test
  void approvalsAreSettledBeforeTheRunAndTheEnvironmentCountsWhenTheTokensClaimConfirmsIt() throws IOException {
    String token = GithubOidcStub.sign(productionClaims().build());
    oidc().environment("production", 200, environmentAnswer(",\"can_admins_bypass\":false,\"protection_rules\":["
        + WAIT_TIMER + "," + requiredReviewers(true) + "," + BRANCH_POLICY + "]"));

    int status = runMainWithOidcToken(token, "production");

    assertThat(status).isZero();
    assertThat(Files.readAllLines(capture.resolve("args"))).containsSubsequence("--claim", "environment=production",
        "--approvals-before-run", "--approval-environment", "production", "--", "sh");
    assertThat(github.requests()).contains(ENVIRONMENT_REQUEST);
    assertThat(errors()).isEmpty();
    assertThat(Files.readString(capture.resolve("env"))).doesNotContain(GITHUB_TOKEN);
  }

  static List<Arguments> environmentsWithoutAPersonsApproval() {
    String refused = "::error title=Taskbound::environment 'production' grants no approval (every approve rule is denied): ";
    String fix = "; with its required reviewers and 'Prevent self-review' set (Settings > Environments), GitHub holds the job"
        + " until another person approves it";
    return List.of(
        Arguments.of("branch rules only", 200,
            environmentAnswer(",\"protection_rules\":[" + BRANCH_POLICY + "]"),
            refused + "it has no required reviewers (its protection rules: branch_policy), so GitHub ran the job without"
                + " a person's approval" + fix),
        Arguments.of("no rules (created by the job)", 200, environmentAnswer(""),
            refused + "it has no required reviewers (its protection rules: none), so GitHub ran the job without"
                + " a person's approval" + fix),
        Arguments.of("self-review allowed", 200,
            environmentAnswer(",\"protection_rules\":[" + requiredReviewers(false) + "]"),
            refused + "its required reviewers may approve a run they started themselves (prevent_self_review is not true)" + fix),
        Arguments.of("admins may bypass (GitHub's default)", 200,
            environmentAnswer(",\"can_admins_bypass\":true,\"protection_rules\":[" + requiredReviewers(true) + "]"),
            refused + "repository administrators may bypass its required reviewers (can_admins_bypass is not false);"
                + " turn off 'Allow administrators to bypass configured protection rules'" + fix),
        Arguments.of("bypass not said", 200,
            environmentAnswer(",\"protection_rules\":[" + requiredReviewers(true) + "]"),
            refused + "repository administrators may bypass its required reviewers (can_admins_bypass is not false);"
                + " turn off 'Allow administrators to bypass configured protection rules'" + fix),
        Arguments.of("not found", 404,
            "{\"message\":\"Not Found\",\"documentation_url\":\"https://docs.github.com/rest\"}",
            refused + "GitHub answered 404 for @API@/repos/acme/app/environments/production: it does not exist in acme/app"
                + " (a job naming it got one created without protection rules) or input 'github-token' cannot read it"
                + " (needs 'permissions: actions: read'); create it with required reviewers" + fix),
        Arguments.of("API error", 500, "{\"message\":\"Server Error\"}",
            refused + "its protection rules cannot be read: GitHub answered HTTP 500 for"
                + " @API@/repos/acme/app/environments/production"));
  }

  /** Review finding (MEDIUM): GitHub creates an unprotected environment for any name a job gives. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("environmentsWithoutAPersonsApproval")
  void anEnvironmentWithoutRequiredReviewersGrantsNoApprovalAndSaysWhy(String name, int answer, String body, String error)
      throws IOException {
    String token = GithubOidcStub.sign(productionClaims().build());
    oidc().environment("production", answer, body);

    int status = runMainWithOidcToken(token, "production");

    assertThat(status).isZero();
    List<String> args = Files.readAllLines(capture.resolve("args"));
    assertThat(args).containsSubsequence("--approvals-before-run", "--", "sh");
    assertThat(args).doesNotContain("--approval-environment");
    assertThat(errors()).containsExactly(error.replace("@API@", github.apiUrl()));
    assertThat(github.requests()).contains(ENVIRONMENT_REQUEST);
  }

  @Test
  void withoutAGithubTokenTheEnvironmentGrantsNoApprovalAndSaysWhatToSet() throws IOException {
    String token = GithubOidcStub.sign(productionClaims().build());

    env.put("INPUT_GITHUB-TOKEN", "");
    oidc().answers(AUDIENCE, token);
    env.put("INPUT_OIDC-AUDIENCE", AUDIENCE);
    env.put("INPUT_ENVIRONMENT", "production");
    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isZero();
    assertThat(Files.readAllLines(capture.resolve("args"))).doesNotContain("--approval-environment");
    assertThat(errors()).containsExactly("::error title=Taskbound::environment 'production' grants no approval (every approve"
        + " rule is denied): input 'github-token' is empty, so its protection rules cannot be read; leave it at its default"
        + " (${{ github.token }}) and give the job 'permissions: actions: read'");
  }

  @Test
  void withoutAnEnvironmentEveryApproveIsSettledBeforeTheRunSoTheCoreDeniesIt() throws IOException {
    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    List<String> args = Files.readAllLines(capture.resolve("args"));
    assertThat(args).containsSubsequence("--approvals-before-run", "--", "sh");
    assertThat(args).doesNotContain("--approval-environment");
  }

  @Test
  void refusesAnEnvironmentInputTheTokenDoesNotConfirmAndStartsNothing() throws IOException {
    String token = GithubOidcStub.sign(productionClaims().build());

    int status = runMainWithOidcToken(token, "staging");

    assertThat(status).isEqualTo(ExitCodes.USAGE);
    assertThat(errors()).containsExactly("::error::input 'environment' is 'staging' but the job ran in environment 'production'"
        + " (the OIDC token's environment claim); accepted: the job's own environment");
    assertThat(capture.resolve("args")).doesNotExist();
  }

  @Test
  void refusesAnEnvironmentInputWithoutTheOidcTokenToCheckItAgainst() throws IOException {
    env.put("INPUT_ENVIRONMENT", "production");

    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isEqualTo(ExitCodes.USAGE);
    assertThat(stdout.toString(StandardCharsets.UTF_8)).contains("::error::input 'environment' (production) is checked against"
        + " the job's OIDC token, which the action did not fetch");
    assertThat(capture.resolve("args")).doesNotExist();
  }

  /**
   * GitHub's OIDC endpoints, started once per test, with the runner's variables for them in the
   * step's environment; it answers no token request until told to.
   */
  private GithubOidcStub oidc() {
    if (github == null) {
      github = new GithubOidcStub();
      github.putRunnerVariables(env);
    }
    return github;
  }

  /** The main step, asking for a token for {@link #AUDIENCE} ({@code oidc-audience}) that the runner answers with {@code token}. */
  private int runMainWithOidcToken(String token) {
    oidc().answers(AUDIENCE, token);
    env.put("INPUT_OIDC-AUDIENCE", AUDIENCE);
    return action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));
  }

  /** As {@link #runMainWithOidcToken(String)}, with the input {@code environment}. */
  private int runMainWithOidcToken(String token, String environment) {
    env.put("INPUT_ENVIRONMENT", environment);
    env.put("INPUT_GITHUB-TOKEN", GITHUB_TOKEN);
    return runMainWithOidcToken(token);
  }

  /**
   * The Vault inputs of a JWT login at {@code https://vault.example:8200/} (role taskbound-ci), and the
   * runner answering the token request for {@link #VAULT_AUDIENCE} with {@code token}.
   */
  private void putVaultJwtInputs(String token) {
    oidc().answers(VAULT_AUDIENCE, token);
    env.put("INPUT_VAULT-URL", "https://vault.example:8200/");
    env.put("INPUT_VAULT-AUTH", "jwt");
    env.put("INPUT_VAULT-ROLE", "taskbound-ci");
  }

  /**
   * The end of every refusal of the job's OIDC token: what is accepted (the stub's issuer and this
   * run), and that nothing of the token is used.
   */
  private String accepted(String audience) {
    return "; accepted is an RS256 token signed by a key at " + github.issuer() + "/.well-known/jwks with iss '"
        + github.issuer() + "', aud '" + audience + "', unexpired, repository 'acme/app', run_id '5964880612' and run_attempt"
        + " '2' (this run);"
        + " none of its claims are used";
  }

  /**
   * The step stopped with 125 and exactly {@code errors}, before the core started (so no claim and no
   * approval environment came from the token), without handing the token on or printing it but in
   * its mask.
   */
  private void assertRefusedBeforeTheCore(int status, String token, String... errors) throws IOException {
    assertThat(status).isEqualTo(ExitCodes.USAGE);
    assertThat(errors()).containsExactly(errors);
    assertThat(capture.resolve("args")).as("the core never started").doesNotExist();
    assertThat(dir.resolve("home/.taskbound/oidc")).as("the token was never written for the core").doesNotExist();
    assertThat(stdout.toString(StandardCharsets.UTF_8).replace("::add-mask::" + token + "\n", ""))
        .doesNotContain(token, GithubOidcStub.REQUEST_TOKEN);
    assertThat(Files.readString(fileCommands.resolve("output"))).isEqualTo("exit-code=125\n");
  }

  /** The error refusing the job's OIDC token for {@link #AUDIENCE} because {@code reason}. */
  private String notAccepted(String reason) {
    return "::error::the job's OIDC token is not accepted: " + reason + accepted(AUDIENCE);
  }

  /**
   * The step refused {@code token}, which names environment 'production', for {@code reason}
   * ({@link #assertRefusedBeforeTheCore}), and so did not take the environment input from it.
   */
  private void assertProductionRefused(int status, String token, String reason) throws IOException {
    assertRefusedBeforeTheCore(status, token, notAccepted(reason), PRODUCTION_UNCONFIRMED);
  }

  /** The {@code ::error} lines printed so far. */
  private List<String> errors() {
    return stdout.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("::error")).toList();
  }

  @Test
  void refusesAnOidcAudienceWithoutTheJobsIdTokenPermission() {
    env.put("INPUT_OIDC-AUDIENCE", "https://vault.example");

    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isEqualTo(ExitCodes.USAGE);
    assertThat(stdout.toString(StandardCharsets.UTF_8)).contains("::error::input 'oidc-audience' is set but the job has no OIDC token")
        .contains("permissions: id-token: write");
    assertThat(capture.resolve("args")).doesNotExist();
  }

  @Test
  void refusesToStartWhenLoadedFromTheWorkspace() throws IOException {
    env.put("GITHUB_ACTIONS", "true");
    env.put("GITHUB_ACTION_REPOSITORY", "");

    int status = action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isEqualTo(ExitCodes.USAGE);
    assertThat(stdout.toString(StandardCharsets.UTF_8)).startsWith("::error::Taskbound was loaded from the workspace");
    assertThat(capture.resolve("args")).doesNotExist();
    assertThat(fileCommands.resolve("state")).doesNotExist();
  }

  @Test
  void postTearsDownEverySessionLeftUnderTheRoot() throws IOException {
    Path root = dir.resolve("home/.taskbound/sessions");
    Files.createDirectories(root.resolve("s2"));
    Files.createDirectories(root.resolve("s1"));
    // An org ceiling's read token journalled by a main step killed before its session existed (issue 17).
    Files.createDirectories(root.resolve("ceiling-read-0123456789abcdef"));
    Files.writeString(root.resolve("not-a-session.txt"), "x");
    env.put("STATE_session_root", root.toString());
    env.put("ACTIONS_RUNTIME_TOKEN", "sentinel-runtime-4c1f");

    int status = action.runPost(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isZero();
    assertThat(Files.readAllLines(capture.resolve("calls"))).containsExactly(
        "teardown --session " + root.resolve("ceiling-read-0123456789abcdef") + " ",
        "teardown --session " + root.resolve("s1") + " ", "teardown --session " + root.resolve("s2") + " ");
    assertThat(Files.readString(capture.resolve("env"))).doesNotContain("sentinel-");
  }

  /** Review finding: a post step could not revoke a left-behind session's Vault credentials with vault-auth: jwt. */
  @Test
  void postLogsInToVaultAgainWithAFreshOidcTokenToTearDownALeftBehindSession() throws IOException {
    String token = GithubOidcStub.sign(oidc().claims(VAULT_AUDIENCE).build());

    int status = runPostAfterSessionS1WithVaultJwt(token);

    assertThat(status).isZero();
    assertThat(github.requests()).containsExactly(GithubOidcStub.tokenRequestLine(VAULT_AUDIENCE));
    assertThat(Files.readString(capture.resolve("env"))).contains("TASKBOUND_VAULT_AUTH=jwt\n",
        "TASKBOUND_VAULT_JWT_FILE=" + dir.resolve("home/.taskbound/oidc")).doesNotContain("sentinel-request-token");
    assertThat(Files.readString(capture.resolve("jwt"))).isEqualTo(token);
    assertThat(stdout.toString(StandardCharsets.UTF_8)).startsWith("::add-mask::" + token + "\n");
    try (java.util.stream.Stream<Path> left = Files.list(dir.resolve("home/.taskbound/oidc"))) {
      assertThat(left).as("the token file is removed after the teardown").isEmpty();
    }
  }

  /**
   * Final review: only Vault reads the post step's token, and Vault verifies it; verifying here too
   * made a key set unreachable at teardown cost the Vault revocations.
   */
  @Test
  void postHandsTheFreshTokenToVaultWithoutFetchingTheKeySet() throws IOException {
    String otherKey = GithubOidcStub.sign(oidc().claims(VAULT_AUDIENCE).build(), GithubOidcStub.newKey());

    int status = runPostAfterSessionS1WithVaultJwt(otherKey);

    assertThat(status).isZero();
    assertThat(github.requests()).containsExactly(GithubOidcStub.tokenRequestLine(VAULT_AUDIENCE));
    assertThat(Files.readString(capture.resolve("env"))).contains("TASKBOUND_VAULT_JWT_FILE=");
    assertThat(stdout.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("::warning"))).isEmpty();
  }

  /**
   * The post step with session s1 left behind under the session root and the Vault inputs of a JWT
   * login ({@link #putVaultJwtInputs}), the runner answering the token request with {@code token}.
   */
  private int runPostAfterSessionS1WithVaultJwt(String token) throws IOException {
    Path root = Files.createDirectories(dir.resolve("home/.taskbound/sessions/s1")).getParent();
    env.put("STATE_session_root", root.toString());
    putVaultJwtInputs(token);
    return action.runPost(env, print(stdout), print(OutputStream.nullOutputStream()));
  }

  @Test
  void postWithNothingLeftBehindFetchesNoOidcToken() throws IOException {
    Path root = Files.createDirectories(dir.resolve("home/.taskbound/sessions"));
    env.put("STATE_session_root", root.toString());
    env.put("INPUT_VAULT-URL", "https://vault.example:8200/");
    env.put("INPUT_VAULT-AUTH", "jwt");
    env.put("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:9/never-asked");
    env.put("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "sentinel-request-token");

    int status = action.runPost(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isZero();
    assertThat(stdout.toString(StandardCharsets.UTF_8)).doesNotContain("::warning");
    assertThat(capture.resolve("calls")).doesNotExist();
  }

  @Test
  void postReportsFirstFailedTeardown() throws IOException {
    Path root = Files.createDirectories(dir.resolve("sessions/s1"));
    env.put("STATE_session-root", root.getParent().toString());
    env.put("FAKE_STATUS", "123");

    int status = action.runPost(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isEqualTo(ExitCodes.TEARDOWN);
  }

  @Test
  void postDoesNothingWhenMainNeverStartedTheCore() {
    int status = action.runPost(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isZero();
    assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("taskbound: no session to tear down\n");
    assertThat(capture.resolve("calls")).doesNotExist();
  }

  @Test
  void refusesUnknownEntrypointArguments() {
    int status = ActionMain.run(List.of("pre"), env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(status).isEqualTo(ExitCodes.USAGE);
    assertThat(stdout.toString(StandardCharsets.UTF_8))
        .isEqualTo("::error::unexpected entrypoint arguments [pre]: accepted are none (main step) or 'post'\n");
  }

  @Test
  void tellsCoreItsContainerAndPutsGatewaySocketUnderMountedHome() throws IOException {
    String id = "8751f4e498eaef31ee68c9c72319fbf869aaf0e6c2ced5c83a87c08bac40bd75";
    Path containerRoot = Files.createDirectories(dir.resolve("container-root/proc/self")).getParent().getParent();
    Files.writeString(
        containerRoot.resolve("proc/self/mountinfo"),
        "121 103 254:0 /var/lib/docker/containers/" + id + "/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw\n");

    actionIn(containerRoot).runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(Files.readAllLines(capture.resolve("env")))
        .contains("TASKBOUND_DOCKER_SELF=" + id, "TASKBOUND_RUNTIME_DIR=" + dir.resolve("home/.taskbound/run"));
    assertThat(dir.resolve("home/.taskbound/run")).isDirectory();
    assertThat(Files.getPosixFilePermissions(dir.resolve("home/.taskbound/run")))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
  }

  @Test
  void leavesContainerSettingsUnsetOutsideAContainer() throws IOException {
    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(Files.readString(capture.resolve("env"))).doesNotContain("TASKBOUND_DOCKER_SELF", "TASKBOUND_RUNTIME_DIR");
  }

  @Test
  void passesAgentImageToCore() throws IOException {
    env.put("INPUT_SANDBOX", "container");
    env.put("INPUT_AGENT-IMAGE", "taskbound/escape-agent:bookworm");

    action.runMain(env, print(stdout), print(OutputStream.nullOutputStream()));

    assertThat(Files.readAllLines(capture.resolve("args")))
        .containsSubsequence("--sandbox", "container", "--image", "taskbound/escape-agent:bookworm", "--out");
  }

  /** An action whose core is the fake script and whose filesystem root (for OwnContainerId) is {@code root}. */
  private ActionMain actionIn(Path root) {
    Path script = dir.resolve("fake-core.sh");
    return new ActionMain(
        new ProcessCoreCli(List.of("sh", script.toString())), new FileCommands(() -> "EOF_TEST"), new OwnContainerId(root));
  }

  /** A genuine bundle of session s1 holding {@code events}, which the fake core copies where the core writes it, printing its kid. */
  private SealedBundle useBundle(List<SealedBundle.Event> events) {
    SealedBundle sealed = SealedBundle.write(dir.resolve("bundle.zip"), "s1", events);
    env.put("FAKE_BUNDLE", sealed.zip().toString());
    env.put("FAKE_KID", sealed.kid());
    return sealed;
  }

  private static SealedBundle.Event denied(String host) {
    return new SealedBundle.Event("egress.denied", Map.of("host", host, "port", 443, "rule_to_add", host + ":443"));
  }

  private static PrintStream print(OutputStream out) {
    return new PrintStream(out, true, StandardCharsets.UTF_8);
  }
}
