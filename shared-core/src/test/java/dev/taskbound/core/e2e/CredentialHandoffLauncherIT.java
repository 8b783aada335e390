package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.github.GithubStubs.ACCESS_TOKENS_PATH;
import static dev.taskbound.core.broker.github.GithubStubs.CREATE_BODY;
import static dev.taskbound.core.broker.github.GithubStubs.TOKEN;
import static dev.taskbound.core.broker.vault.VaultStubs.CHILD_ACCESSOR;
import static dev.taskbound.core.broker.vault.VaultStubs.CHILD_TOKEN;
import static dev.taskbound.core.broker.vault.VaultStubs.DYNAMIC_PASSWORD;
import static dev.taskbound.core.broker.vault.VaultStubs.LEASE_ID;
import static dev.taskbound.core.broker.vault.VaultStubs.LOGIN_ACCESSOR;
import static dev.taskbound.core.broker.vault.VaultStubs.LOGIN_TOKEN;
import static dev.taskbound.core.broker.vault.VaultStubs.SECRET_ID;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.github.GithubStubs;
import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.FileGrep;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: credentials held by a CI controller. {@code bin/taskbound credentials issue} runs where
 * the GitHub App key and the Vault login are (the "controller"), writes a 0600 hand-off, and {@code
 * session start --credentials-handoff} opens the session on a host that has neither (the "agent"):
 * real processes of the shaded jar against loopback WireMock stand-ins of GitHub and Vault, every
 * request asserted with the credential that made it.
 */
@Timeout(240)
class CredentialHandoffLauncherIT {
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final KeyPair APP_KEY = TestKeys.rsa();
  private static final Pattern SUPERVISOR = Pattern.compile("supervisor: pid (\\d+)");
  /** How a hand-off's bytes begin ({@code credentials issue}); no file on the agent host may hold them. */
  private static final String HANDOFF_MARKER = "{\"format\":\"taskbound-credential-handoff/1\"";

  @TempDir Path work;
  /** The hand-offs: a directory of the test's own user, since the launcher gives {@code work} to the agent's user. */
  @TempDir Path issuer;
  @RegisterExtension final CredentialApis apis = new CredentialApis();
  private WireMockServer github;
  private WireMockServer vault;

  @BeforeEach
  void startStubs() {
    github = apis.github();
    vault = apis.vault();
    GithubStubs.stubApp(github);
    VaultStubs.stubAll(vault);
  }

  @Test
  void theControllerIssuesTheAgentsSessionUsesTheHandoffAndBothEndsRevokeWithoutTheKeyOnTheAgent() throws Exception {
    Path policy = policy("contents: read");
    Path handoff = issuer.resolve("handoff.json");

    // Given: the controller issues what the policy grants, with the App key and the AppRole login.
    Path journal;
    try (CliProcess issue = taskbound(controllerEnv(), "credentials", "issue", "--task", "IT-60", "--policy",
        policy.toString(), "--handoff", handoff.toString())) {
      assertThat(issue.waitFor(WAIT)).as(issue.stderr()).isZero();
      journal = Path.of(issue.stdout().strip());
      assertThat(issue.stderr()).contains(Secret.of(TOKEN).fingerprint()).doesNotContain(TOKEN)
          .doesNotContain(CHILD_TOKEN).doesNotContain(DYNAMIC_PASSWORD);
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(handoff))).isEqualTo("rw-------");
    assertThat(journal.resolve("issued-journal.jsonl")).isRegularFile();
    List<String> mint = List.of(
        "GET /app app-jwt", "GET /repos/acme/app/installation app-jwt", "POST " + ACCESS_TOKENS_PATH + " app-jwt");
    assertThat(githubRequests()).containsExactlyElementsOf(mint);
    github.verify(1, postRequestedFor(urlEqualTo(ACCESS_TOKENS_PATH)).withRequestBody(equalToJson(CREATE_BODY)));
    assertThat(vaultRequests()).containsExactly(
        "POST /v1/auth/approle/login no-token",
        "POST /v1/auth/token/create login-token",
        "GET /v1/database/creds/readonly child-token");

    // When: the agent host, with no App key and no Vault login, opens the session with the hand-off
    // and runs a command that uses the token and the secret file.
    String handle;
    long supervisor;
    try (CliProcess start = taskbound(agentEnv(), "session", "start", "--task", "IT-60", "--policy", policy.toString(),
        "--credentials-handoff", handoff.toString(), "--out", work.resolve("evidence").toString())) {
      assertThat(start.waitFor(WAIT)).as(start.stderr()).isZero();
      handle = start.stdout().strip();
      Matcher pid = SUPERVISOR.matcher(start.stderr());
      assertThat(pid.find()).as(start.stderr()).isTrue();
      supervisor = Long.parseLong(pid.group(1));
    }
    assertThat(handoff).as("the hand-off is read once and deleted").doesNotExist();
    String api = "http://api.github.test:" + github.port() + "/installation/repositories";
    String agent = String.join("\n",
        "curl -sS --max-time 10 -H \"Authorization: token $GH_TOKEN\" " + api + "; echo",
        "printf 'db-sha=%s\\n' \"$(sha256sum < \"$TASKBOUND_CREDENTIALS_DIR/db.txt\" | cut -c1-64)\"",
        "printf 'host-config-vars=%s\\n' \"$(env | grep -c -e TASKBOUND_GITHUB_APP -e TASKBOUND_VAULT_ -e 'PRIVATE KEY')\"",
        "");
    try (CliProcess exec = taskbound(agentEnv(), "session", "exec", "--session", handle, "--", "sh", "-c", agent)) {
      assertThat(exec.waitFor(WAIT)).as(exec.stderr()).isZero();
      assertThat(exec.stdout()).contains("\"full_name\":\"acme/app\"").contains("db-sha=" + sha256(DYNAMIC_PASSWORD))
          .contains("host-config-vars=0");
    }
    List<String> argvAndEnv = commandLinesAndEnvironments(supervisor);
    assertThat(argvAndEnv).isNotEmpty();
    for (String value : List.of(TOKEN, CHILD_TOKEN, DYNAMIC_PASSWORD, LOGIN_TOKEN, SECRET_ID, "PRIVATE KEY")) {
      assertThat(argvAndEnv).as("no process of the session carries %s in argv or environment", value)
          .noneMatch(s -> s.contains(value));
    }

    try (CliProcess end = taskbound(agentEnv(), "session", "end", "--session", handle)) {
      assertThat(end.waitFor(WAIT)).as(end.stderr()).isZero();
    }
    // Then: the agent's session revoked the GitHub token with the token itself, and nothing else.
    assertThat(githubRequests()).containsExactlyElementsOf(concat(mint,
        List.of("GET /installation/repositories token", "DELETE /installation/token token")));
    assertThat(vaultRequests()).hasSize(3);
    String events = RunArtifacts.bundleText(work.resolve("evidence"), "events.jsonl");
    assertThat(events).contains("\"credential.issued\"").contains(Secret.of(TOKEN).fingerprint())
        .contains(Secret.of(CHILD_TOKEN).fingerprint());

    // And the controller revokes the rest, newest first: the lease, the child token, the issue's login;
    // then the GitHub token again (already gone: counted as revoked).
    try (CliProcess revoke = taskbound(controllerEnv(), "credentials", "revoke", "--journal", journal.toString())) {
      assertThat(revoke.waitFor(WAIT)).as(revoke.stderr()).isZero();
    }
    assertThat(journal).doesNotExist();
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/sys/leases/revoke"))
        .withRequestBody(equalToJson("{\"lease_id\":\"" + LEASE_ID + "\"}")));
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
    List<String> after = vaultRequests();
    // Each Vault revocation with a fresh login of its own, revoked right after (revoke-self).
    assertThat(after.subList(3, after.size())).containsExactly(
        "POST /v1/auth/approle/login no-token",
        "POST /v1/sys/leases/revoke login-token",
        "POST /v1/auth/token/revoke-self login-token",
        "POST /v1/auth/approle/login no-token",
        "POST /v1/auth/token/revoke-accessor login-token",
        "POST /v1/auth/token/revoke-self login-token",
        "POST /v1/auth/approle/login no-token",
        "POST /v1/auth/token/revoke-accessor login-token",
        "POST /v1/auth/token/revoke-self login-token");
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + LOGIN_ACCESSOR + "\"}")));
    assertThat(githubRequests()).last().isEqualTo("DELETE /installation/token token");
    for (String secret : List.of(TOKEN, CHILD_TOKEN, LOGIN_TOKEN, SECRET_ID, DYNAMIC_PASSWORD)) {
      assertThat(FileGrep.filesContaining(secret, work)).as(secret).isEmpty();
    }
  }

  @Test
  void aHandoffIssuedForAWiderPolicyIsRefusedAndDeleted() throws Exception {
    Path handoff = issuer.resolve("handoff.json");
    Path journal;
    try (CliProcess issue = taskbound(controllerEnv(), "credentials", "issue", "--task", "IT-61", "--policy",
        policy("contents: write").toString(), "--handoff", handoff.toString())) {
      assertThat(issue.waitFor(WAIT)).as(issue.stderr()).isZero();
      journal = Path.of(issue.stdout().strip());
    }

    try (CliProcess start = taskbound(agentEnv(), "session", "start", "--task", "IT-61", "--policy",
        policy("contents: read").toString(), "--credentials-handoff", handoff.toString())) {
      assertThat(start.waitFor(WAIT)).isEqualTo(122);
      assertThat(start.stderr()).contains("'github' was issued for").contains("\"contents\":\"write\"")
          .contains("\"contents\":\"read\"").doesNotContain(TOKEN);
    }

    assertThat(handoff).doesNotExist();
    try (CliProcess revoke = taskbound(controllerEnv(), "credentials", "revoke", "--journal", journal.toString())) {
      assertThat(revoke.waitFor(WAIT)).as(revoke.stderr()).isZero();
    }
    assertThat(githubRequests()).last().isEqualTo("DELETE /installation/token token");
  }

  @Test
  void aControllerConfiguredForBothServicesUsesOnlyWhatThePolicyGrantsAndNothingGrantedWritesNothing() throws Exception {
    Path githubOnly = apis.writeTask(work.resolve("github-only.yml"), "");
    Path handoff = issuer.resolve("handoff.json");

    try (CliProcess issue = taskbound(controllerEnv(), "credentials", "issue", "--task", "IT-62", "--policy",
        githubOnly.toString(), "--handoff", handoff.toString())) {
      assertThat(issue.waitFor(WAIT)).as(issue.stderr()).isZero();
    }
    assertThat(vaultRequests()).as("Vault is configured but not granted: never called").isEmpty();
    assertThat(githubRequests()).hasSize(3);

    Path none = Files.writeString(work.resolve("none.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: 10m\n");
    Path noHandoff = issuer.resolve("none.json");
    try (CliProcess issue = taskbound(controllerEnv(), "credentials", "issue", "--task", "IT-62", "--policy",
        none.toString(), "--handoff", noHandoff.toString(), "--allow-none")) {
      assertThat(issue.waitFor(WAIT)).as(issue.stderr()).isZero();
      assertThat(issue.stdout()).isEmpty();
      assertThat(issue.stderr()).contains("nothing issued");
    }
    try (CliProcess issue = taskbound(controllerEnv(), "credentials", "issue", "--task", "IT-62", "--policy",
        none.toString(), "--handoff", noHandoff.toString())) {
      assertThat(issue.waitFor(WAIT)).isEqualTo(122);
    }
    assertThat(noHandoff).doesNotExist();
  }

  @Test
  void theControllersIssueOnStandardOutputPipedIntoSessionStartLeavesNoFileOfTheHandoffOnEitherHost() throws Exception {
    Path policy = policy("contents: read");
    Path journal = issuer.resolve("journal-IT-66");

    // Given: credentials issue --handoff - piped into session start --credentials-handoff - by a shell,
    // the controller's App key and Vault login only in the issuing side's environment.
    String script = String.join(" ",
        "\"$0\" credentials issue --task IT-66 --policy \"$1\" --handoff - --journal \"$2\" |",
        "env -u TASKBOUND_GITHUB_APP_ID -u TASKBOUND_GITHUB_APP_KEY -u TASKBOUND_VAULT_ADDR -u TASKBOUND_VAULT_AUTH",
        "-u TASKBOUND_VAULT_ROLE_ID -u TASKBOUND_VAULT_SECRET_ID TASKBOUND_HOME=\"$4\" TASKBOUND_RUNTIME_DIR=\"$5\"",
        "\"$0\" session start --task IT-66 --policy \"$1\" --credentials-handoff - --out \"$3\"");
    String handle;
    long supervisor;
    try (CliProcess pipeline = CliProcess.startPipeline(work, controllerEnv(), script,
        policy.toString(), journal.toString(), work.resolve("evidence").toString(),
        work.resolve("agent-home").toString(), work.resolve("rt").toString())) {

      // When: the pipeline ends.
      assertThat(pipeline.waitFor(WAIT)).as(pipeline.stderr()).isZero();
      handle = pipeline.stdout().strip();
      Matcher pid = SUPERVISOR.matcher(pipeline.stderr());
      assertThat(pid.find()).as(pipeline.stderr()).isTrue();
      supervisor = Long.parseLong(pid.group(1));
      assertThat(pipeline.stderr()).contains("credentials issued to standard output:")
          .contains("revoke with: taskbound credentials revoke --journal " + journal)
          .contains(Secret.of(TOKEN).fingerprint());
      for (String value : List.of(TOKEN, CHILD_TOKEN, DYNAMIC_PASSWORD, LOGIN_TOKEN, SECRET_ID)) {
        assertThat(pipeline.stderr()).doesNotContain(value);
        assertThat(handle).doesNotContain(value);
      }
    }

    // Then: the exact minting requests, once; no file on either host holds the hand-off; the journal
    // is a 0700 directory where --journal said; the supervisor's input was the pipe.
    assertThat(githubRequests()).containsExactly(
        "GET /app app-jwt", "GET /repos/acme/app/installation app-jwt", "POST " + ACCESS_TOKENS_PATH + " app-jwt");
    github.verify(1, postRequestedFor(urlEqualTo(ACCESS_TOKENS_PATH)).withRequestBody(equalToJson(CREATE_BODY)));
    assertThat(vaultRequests()).containsExactly(
        "POST /v1/auth/approle/login no-token",
        "POST /v1/auth/token/create login-token",
        "GET /v1/database/creds/readonly child-token");
    assertThat(FileGrep.filesContaining(HANDOFF_MARKER, work)).isEmpty();
    assertThat(FileGrep.filesContaining(HANDOFF_MARKER, issuer)).isEmpty();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(journal))).isEqualTo("rwx------");
    assertThat(Files.readSymbolicLink(Path.of("/proc", Long.toString(supervisor), "fd", "0")).toString())
        .startsWith("pipe:");
    String api = "http://api.github.test:" + github.port() + "/installation/repositories";
    try (CliProcess exec = taskbound(agentEnv(), "session", "exec", "--session", handle, "--", "sh", "-c",
        "curl -sS --max-time 10 -H \"Authorization: token $GH_TOKEN\" " + api + "; echo; "
            + "printf 'db-sha=%s\\n' \"$(sha256sum < \"$TASKBOUND_CREDENTIALS_DIR/db.txt\" | cut -c1-64)\"")) {
      assertThat(exec.waitFor(WAIT)).as(exec.stderr()).isZero();
      assertThat(exec.stdout()).contains("\"full_name\":\"acme/app\"").contains("db-sha=" + sha256(DYNAMIC_PASSWORD));
    }
    try (CliProcess end = taskbound(agentEnv(), "session", "end", "--session", handle)) {
      assertThat(end.waitFor(WAIT)).as(end.stderr()).isZero();
    }
    try (CliProcess revoke = taskbound(controllerEnv(), "credentials", "revoke", "--journal", journal.toString())) {
      assertThat(revoke.waitFor(WAIT)).as(revoke.stderr()).isZero();
    }
    assertThat(journal).doesNotExist();
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/sys/leases/revoke"))
        .withRequestBody(equalToJson("{\"lease_id\":\"" + LEASE_ID + "\"}")));
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + LOGIN_ACCESSOR + "\"}")));
    assertThat(FileGrep.filesContaining(HANDOFF_MARKER, work)).isEmpty();
  }

  @Test
  void anIssueToStandardOutputThatFailsWritesNothingThereAndRevokesWhatItIssued() throws Exception {
    // Given: Vault refuses the dynamic secret, after the GitHub token, the login and the child token were issued.
    vault.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(urlEqualTo("/v1/database/creds/readonly"))
        .atPriority(1).willReturn(VaultStubs.json(403, VaultStubs.errors("permission denied"))));
    Path journal = issuer.resolve("journal-IT-67");

    // When: the controller issues to standard output.
    try (CliProcess issue = taskbound(controllerEnv(), "credentials", "issue", "--task", "IT-67", "--policy",
        policy("contents: read").toString(), "--handoff", "-", "--journal", journal.toString())) {

      // Then: 122, nothing on standard output, no value on standard error.
      assertThat(issue.waitFor(WAIT)).as(issue.stderr()).isEqualTo(122);
      assertThat(issue.stdout()).isEmpty();
      assertThat(issue.stderr()).contains("database/creds/readonly");
      for (String value : List.of(TOKEN, CHILD_TOKEN, LOGIN_TOKEN, SECRET_ID)) {
        assertThat(issue.stderr()).doesNotContain(value);
      }
    }
    // And everything issued was revoked, from the journal, which is gone.
    assertThat(githubRequests()).containsExactly(
        "GET /app app-jwt", "GET /repos/acme/app/installation app-jwt", "POST " + ACCESS_TOKENS_PATH + " app-jwt",
        "DELETE /installation/token token");
    List<String> vaultCalls = vaultRequests();
    assertThat(vaultCalls.subList(0, 3)).containsExactly(
        "POST /v1/auth/approle/login no-token",
        "POST /v1/auth/token/create login-token",
        "GET /v1/database/creds/readonly child-token");
    // The child token by its accessor, then the login itself. (The Vault broker's own rollback and the
    // issue's journal both run these today: the rollback does not mark the journal's entries done.)
    assertThat(vaultCalls.subList(3, vaultCalls.size())).startsWith(
        "POST /v1/auth/token/revoke-accessor login-token", "POST /v1/auth/token/revoke-self login-token");
    assertThat(vault.findAll(postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))).stream()
        .map(LoggedRequest::getBodyAsString).toList()).isNotEmpty()
        .allSatisfy(body -> assertThat(body).isEqualTo("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}"));
    assertThat(journal).doesNotExist();
  }

  @Test
  void aHandoffPipedIntoSessionStartOpensTheSessionAndNoFileOfItEverReachesTheAgentHost() throws Exception {
    Path policy = policy("contents: read");
    byte[] handoff = issue("IT-63", policy);

    // When: the agent host opens the session with the hand-off on standard input.
    String handle;
    long supervisor;
    try (CliProcess start = taskbound(agentEnv(), "session", "start", "--task", "IT-63", "--policy", policy.toString(),
        "--credentials-handoff", "-", "--out", work.resolve("evidence").toString())) {
      try (var stdin = start.process().getOutputStream()) {
        stdin.write(handoff);
      }
      assertThat(start.waitFor(WAIT)).as(start.stderr()).isZero();
      handle = start.stdout().strip();
      Matcher pid = SUPERVISOR.matcher(start.stderr());
      assertThat(pid.find()).as(start.stderr()).isTrue();
      supervisor = Long.parseLong(pid.group(1));
    }

    // Then: no file on the agent host holds the hand-off, the supervisor's input is a pipe, not a file,
    // and the command in the session holds the token.
    assertThat(FileGrep.filesContaining(HANDOFF_MARKER, work)).isEmpty();
    assertThat(Files.readSymbolicLink(Path.of("/proc", Long.toString(supervisor), "fd", "0")).toString())
        .startsWith("pipe:");
    String api = "http://api.github.test:" + github.port() + "/installation/repositories";
    try (CliProcess exec = taskbound(agentEnv(), "session", "exec", "--session", handle, "--", "sh", "-c",
        "curl -sS --max-time 10 -H \"Authorization: token $GH_TOKEN\" " + api + "; echo;"
            + " printf 'fd0=%s\\n' \"$(readlink /proc/self/fd/0)\"")) {
      assertThat(exec.waitFor(WAIT)).as(exec.stderr()).isZero();
      // the command's input is never the stream the hand-off came from
      assertThat(exec.stdout()).contains("\"full_name\":\"acme/app\"").contains("fd0=/dev/null");
    }
    try (CliProcess end = taskbound(agentEnv(), "session", "end", "--session", handle)) {
      assertThat(end.waitFor(WAIT)).as(end.stderr()).isZero();
    }
    assertThat(githubRequests()).endsWith("GET /installation/repositories token", "DELETE /installation/token token");
    assertThat(FileGrep.filesContaining(HANDOFF_MARKER, work)).isEmpty();
  }

  @Test
  void aHandoffRedirectedFromAFileIntoRunIsNotTheAgentsStandardInputSoSeekingBackReadsNothing() throws Exception {
    // Given: the hand-off as a file on the run's standard input, as the error message documents
    // (--credentials-handoff - < FILE): the host's fd 0 is that file, seekable.
    Path policy = policy("contents: read");
    Path file = issuer.resolve("IT-66-stdin.json");
    Files.write(file, issue("IT-66", policy));
    String agent = String.join("\n",
        "printf 'fd0=%s\\n' \"$(readlink /proc/self/fd/0)\"",
        "perl -e 'seek(STDIN, 0, 0); local $/; my $d = <STDIN>; $d = q() unless defined $d;"
            + " printf qq(seek-bytes=%d marker=%d\\n), length($d), ($d =~ /taskbound-credential-handoff/ ? 1 : 0)'",
        "printf 'token-set=%s\\n' \"${GH_TOKEN:+yes}\"",
        "");

    // When: the agent seeks its standard input back to 0 and reads it all.
    try (CliProcess run = CliProcess.startLauncher(work, agentEnv(), ProcessBuilder.Redirect.from(file.toFile()),
        "run", "--task", "IT-66", "--sandbox", "netns", "--policy", policy.toString(), "--credentials-handoff", "-",
        "--out", work.resolve("evidence").toString(), "--", "sh", "-c", agent)) {
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isZero();

      // Then: its standard input is /dev/null, not the hand-off: no byte of it, while the session ran with it.
      assertThat(run.stdout()).contains("token-set=yes").contains("fd0=/dev/null")
          .contains("seek-bytes=0 marker=0").doesNotContain(file.toString());
    }
    assertThat(githubRequests()).last().isEqualTo("DELETE /installation/token token");
  }

  @Test
  void aWiderHandoffOnStandardInputIsRefusedAsAFileIs() throws Exception {
    byte[] handoff = issue("IT-64", policy("contents: write"));

    try (CliProcess start = taskbound(agentEnv(), "session", "start", "--task", "IT-64", "--policy",
        policy("contents: read").toString(), "--credentials-handoff", "-")) {
      try (var stdin = start.process().getOutputStream()) {
        stdin.write(handoff);
      }
      assertThat(start.waitFor(WAIT)).isEqualTo(122);
      assertThat(start.stderr()).contains("'github' was issued for").contains("\"contents\":\"write\"")
          .contains("\"contents\":\"read\"").doesNotContain(TOKEN);
    }
    assertThat(FileGrep.filesContaining(HANDOFF_MARKER, work)).isEmpty();
  }

  @Test
  void emptyOrGarbageStandardInputIsOneLineAndExit122BeforeAnySessionStarts() throws Exception {
    Path policy = apis.writeTask(work.resolve("github-only.yml"), "");

    try (CliProcess start = taskbound(agentEnv(), "session", "start", "--task", "IT-65", "--policy", policy.toString(),
        "--credentials-handoff", "-")) {
      start.process().getOutputStream().close();
      assertThat(start.waitFor(WAIT)).isEqualTo(122);
      assertThat(start.stderr()).isEqualTo("taskbound: error: handoff: read the credential hand-off from standard input"
          + " failed: it is empty; accepted: the hand-off 'taskbound credentials issue' wrote, piped in"
          + " (--credentials-handoff - < FILE)");
    }
    try (CliProcess run = taskbound(agentEnv(), "run", "--task", "IT-65", "--policy", policy.toString(),
        "--credentials-handoff", "-", "--", "true")) {
      try (var stdin = run.process().getOutputStream()) {
        stdin.write("GH_TOKEN=not-a-handoff\n".getBytes(StandardCharsets.UTF_8));
      }
      assertThat(run.waitFor(WAIT)).isEqualTo(122);
      assertThat(run.stderr()).isEqualTo("taskbound: error: handoff: read the credential hand-off from standard input"
          + " failed: it is not JSON; accepted: the hand-off 'credentials issue' wrote");
    }
    assertThat(work.resolve("agent-home/sessions")).as("no session, no supervisor log").satisfiesAnyOf(
        p -> assertThat(p).doesNotExist(), p -> assertThat(p).isEmptyDirectory());
  }

  /** The controller's side: issues for {@code policy} to standard output and returns the hand-off's bytes. */
  private byte[] issue(String task, Path policy) throws Exception {
    try (CliProcess issue = taskbound(controllerEnv(), "credentials", "issue", "--task", task, "--policy",
        policy.toString(), "--handoff", "-")) {
      assertThat(issue.waitFor(WAIT)).as(issue.stderr()).isZero();
      assertThat(issue.stdout()).startsWith(HANDOFF_MARKER);
      return issue.stdout().getBytes(StandardCharsets.UTF_8);
    }
  }

  private static String sha256(String value) throws Exception {
    return java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
  }

  /** argv and environment of {@code pid} and every descendant, read from /proc. */
  private static List<String> commandLinesAndEnvironments(long pid) throws IOException {
    List<String> out = new ArrayList<>();
    List<Long> todo = new ArrayList<>(List.of(pid));
    for (int i = 0; i < todo.size() && i < 500; i++) {
      Path proc = Path.of("/proc", Long.toString(todo.get(i)));
      for (String name : List.of("cmdline", "environ")) {
        try {
          out.add(new String(Files.readAllBytes(proc.resolve(name)), StandardCharsets.UTF_8));
        } catch (IOException gone) {
          // the process ended meanwhile
        }
      }
      try (var tasks = Files.list(proc.resolve("task"))) {
        for (Path task : tasks.toList()) {
          for (String child : Files.readString(task.resolve("children")).trim().split("\\s+")) {
            if (!child.isEmpty()) {
              todo.add(Long.parseLong(child));
            }
          }
        }
      } catch (IOException gone) {
        // the process ended meanwhile
      }
    }
    return out;
  }

  private Path policy(String permissions) throws IOException {
    Path file = apis.writeTask(work.resolve("task-" + permissions.replace(": ", "-") + ".yml"), String.join("\n",
        "  vault:",
        "    policies: [app-read]",
        "    ttl: 5m",
        "    secrets:",
        "      - {name: db, kind: dynamic, path: database/creds/readonly, field: password, file: db.txt}",
        ""));
    Files.writeString(file, Files.readString(file).replace("contents: read", permissions));
    return file;
  }

  private Map<String, String> agentEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", work.resolve("agent-home").toString());
    env.put("TASKBOUND_RUNTIME_DIR", work.resolve("rt").toString());
    env.put("TASKBOUND_GITHUB_API_URL", github.baseUrl()); // revocation goes to this host's API, not the file's
    return env;
  }

  private Map<String, String> controllerEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", work.resolve("controller-home").toString());
    env.put("TASKBOUND_GITHUB_APP_ID", GithubStubs.APP_ID);
    env.put("TASKBOUND_GITHUB_APP_KEY", TestKeys.pkcs1Pem(APP_KEY));
    env.put("TASKBOUND_GITHUB_API_URL", github.baseUrl());
    env.put("TASKBOUND_VAULT_ADDR", vault.baseUrl());
    env.put("TASKBOUND_VAULT_AUTH", "approle");
    env.put("TASKBOUND_VAULT_ROLE_ID", "role-0001");
    env.put("TASKBOUND_VAULT_SECRET_ID", SECRET_ID);
    return env;
  }

  private CliProcess taskbound(Map<String, String> env, String... args) throws IOException {
    return CliProcess.startLauncher(work, env, args);
  }

  private List<String> githubRequests() {
    return requests(github, r -> {
      String authorization = r.getHeader("Authorization");
      if (GithubStubs.isAppJwt(authorization, APP_KEY)) {
        return "app-jwt";
      }
      return ("token " + TOKEN).equals(authorization) ? "token" : authorization == null ? "no-auth" : "other-auth";
    });
  }

  private List<String> vaultRequests() {
    return apis.vaultRequests();
  }

  private static List<String> requests(WireMockServer server, java.util.function.Function<LoggedRequest, String> who) {
    List<LoggedRequest> logged = new ArrayList<>(server.findAll(anyRequestedFor(anyUrl())));
    logged.sort(java.util.Comparator.comparing(LoggedRequest::getLoggedDate));
    return logged.stream().map(r -> r.getMethod() + " " + r.getUrl() + " " + who.apply(r)).toList();
  }

  @SafeVarargs
  private static List<String> concat(List<String>... parts) {
    return java.util.Arrays.stream(parts).flatMap(List::stream).toList();
  }
}
