package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.github.GithubStubs;
import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.evidence.VerificationResult;
import dev.taskbound.core.testing.CliProcess;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 items 7 and 8, issue 19 item 7: a teardown finished by a retry is sealed (a chained,
 * sealed addendum the bundle never loses), the sealed teardown report lists every step that runs,
 * teardown runs in the documented order, and what Taskbound publishes has one documented mode.
 */
@Timeout(240)
class TeardownRetryEvidenceTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String PEM = TestKeys.pkcs1Pem(TestKeys.rsa());
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;
  @RegisterExtension final CredentialApis apis = new CredentialApis();
  private WireMockServer github;
  private WireMockServer vault;
  private Path home;
  private Path out;

  @BeforeEach
  void stubApis() throws IOException {
    github = apis.github();
    vault = apis.vault();
    GithubStubs.stubApp(github);
    VaultStubs.stubAll(vault);
    home = Files.createDirectories(work.resolve("home"));
    out = work.resolve("evidence");
  }

  @Test
  void aRetriedTeardownIsSealedInAnAddendumThatVerifiesWithTheBundleAndKeepsBothAttempts() throws Exception {
    github.stubFor(delete(urlEqualTo("/installation/token")).willReturn(aResponse().withStatus(500)
        .withHeader("Content-Type", "application/json").withBody("{\"message\":\"Server Error\"}")));
    Path stateDir;
    try (CliProcess run = taskbound(false, "run", "--task", "T-R", "--policy", policy(false).toString(),
        "--out", out.toString(), "--", "sleep", "1")) { // an agent that exits at once races the netns listener hand-off
      stateDir = RunArtifacts.stateDir(run, WAIT);
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isEqualTo(123);
    }
    Path bundle = RunArtifacts.onlyBundle(out);
    byte[] sealedFirst = Files.readAllBytes(bundle);
    JsonNode firstReport = JSON.readTree(sideFile(".teardown.json").toFile());
    int firstSteps = firstReport.path("steps").size();
    // The evidence directory is the agent's by default: a report it plants there is not the first attempt's (review)
    Files.writeString(sideFile(".teardown.json"), "{\"session\":\"" + firstReport.path("session").asText() + "\",\"ok\":true,"
        + "\"steps\":[{\"step\":\"FORGED-BY-AGENT all credentials revoked\",\"outcome\":\"ok\",\"attempts\":1}]}");

    github.stubFor(delete(urlEqualTo("/installation/token")).willReturn(aResponse().withStatus(204)));
    try (CliProcess retry = taskbound(false, "teardown", "--session", stateDir.toString())) {
      assertThat(retry.waitFor(WAIT)).as(retry.stderr()).isZero();
    }

    Path addendum = out.resolve(bundle.getFileName().toString().replace(".zip", ".addendum-2.zip"));
    assertThat(addendum).exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(addendum))).isEqualTo("rw-r--r--");
    assertThat(Files.readAllBytes(bundle)).isEqualTo(sealedFirst); // the sealed first attempt stays as it was
    VerificationResult verified = BundleVerifier.verify(bundle);
    assertThat(verified.valid()).as(verified.message()).isTrue();
    // The bundle's key was dropped at its seal: the retry seals with a new key and says so (issue 14).
    assertThat(verified.message()).contains("addendum " + addendum.getFileName()).contains("resealed by recovery key")
        .endsWith("teardown: attempt 1 failed, attempt 2 ok");
    assertThat(verified.signerVerified()).isFalse();
    assertThat(entry(addendum, "events.jsonl")).contains("\"evidence.rekeyed\"");
    assertThat(entry(addendum, "teardown.json")).contains("rekey-evidence").contains("sealed with a new key");
    assertThat(BundleVerifier.verify(addendum).valid()).isTrue();
    JsonNode report = JSON.readTree(sideFile(".teardown.json").toFile());
    assertThat(report.path("ok").asBoolean()).isTrue();
    assertThat(report.path("attempt").asInt()).isEqualTo(2);
    assertThat(report.path("earlier").get(0).path("steps").size()).isEqualTo(firstSteps); // not overwritten
    assertThat(report.toString()).doesNotContain("FORGED");
    assertThat(entry(addendum, "teardown.json")).contains("\"attempt\" : 2").contains("\"earlier\"");
    String summary = Files.readString(sideFile(".summary.md"));
    assertThat(summary).contains("### Teardown (attempt 2, final)").contains("### Teardown attempt 1 (earlier)")
        .contains("**FAILED** (failed)").contains("| Outcome | succeeded |");
    assertThat(entry(addendum, "report.html")).contains("Teardown (attempt 2, final)").contains("Teardown attempt 1 (earlier)");
    assertThat(entry(addendum, "events.jsonl")).startsWith("{\"data\":{\"attempt\":2,").contains("\"teardown.resumed\"")
        .contains("\"teardown.completed\"");
    assertThat(stateDir).doesNotExist();

    Path tampered = tamperedCopy(bundle, addendum, "events.jsonl", "\"teardown_ok\":true", "\"teardown_ok\":false");
    VerificationResult caught = BundleVerifier.verify(tampered);
    assertThat(caught.valid()).isFalse();
    assertThat(caught.message()).startsWith("addendum " + tampered.getFileName() + ": line ").contains("hash mismatch");
    // the addendum's summary is what a reader sees of the final outcome: its seal covers it
    Path reworded = tamperedCopy(bundle, addendum, "summary.md", "| Outcome | succeeded |", "| Outcome | succeeded, nothing denied |");
    assertThat(BundleVerifier.verify(reworded).message()).isEqualTo("addendum " + reworded.getFileName()
        + ": seal: member summary.md does not match its digest in the seal (edited after sealing?)");
  }

  /**
   * Review finding: a retry published the bundle the session's key had sealed (its write stopped by
   * the agent's link) only when nothing else was pending; with a failed revocation too, the retried
   * step was recorded first, and the bundle was resealed with a recovery key the host's record does
   * not verify. The bundle is published first; the revocation goes to an addendum.
   */
  @Test
  void aBundleTheAgentKeptFromBeingWrittenIsPublishedFirstAndAFailedRevocationGoesToAnAddendum() throws Exception {
    github.stubFor(delete(urlEqualTo("/installation/token")).willReturn(aResponse().withStatus(500)
        .withHeader("Content-Type", "application/json").withBody("{\"message\":\"Server Error\"}")));
    Path elsewhere = Files.createDirectories(work.resolve("elsewhere"));
    Path stateDir;
    String kid;
    // The agent can no longer touch an evidence directory in the workspace (it is read-only inside):
    // the host puts the link in its place while the agent waits (bounded), as a second session could.
    try (CliProcess run = taskbound(false, "run", "--task", "T-K", "--policy", policy(false).toString(),
        "--out", out.toString(), "--", "sh", "-c", "touch ready; for i in $(seq 600); do [ -e go ] && exit 0; sleep 0.05; done; exit 9")) {
      stateDir = RunArtifacts.stateDir(run, WAIT);
      RunArtifacts.awaitFile(work.resolve("ready")); // the sandbox runs: its view was checked and made
      Files.delete(out);
      Files.createSymbolicLink(out, elsewhere);
      Files.writeString(work.resolve("go"), "");
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isEqualTo(123);
      Matcher recorded = Pattern.compile("evidence key: kid ([A-Za-z0-9_-]{43})").matcher(run.stderr());
      assertThat(recorded.find()).isTrue();
      kid = recorded.group(1);
    }
    Files.delete(out); // the agent's link, as the failure says
    github.stubFor(delete(urlEqualTo("/installation/token")).willReturn(aResponse().withStatus(204)));

    try (CliProcess retry = taskbound(false, "teardown", "--session", stateDir.toString())) {
      assertThat(retry.waitFor(WAIT)).as(retry.stderr()).isZero();
    }

    Path bundle;
    try (Stream<Path> zips = Files.list(out)) {
      bundle = zips.filter(p -> p.toString().endsWith(".zip") && !p.toString().contains(".addendum-")).findFirst().orElseThrow();
    }
    VerificationResult verified = BundleVerifier.verify(bundle);
    assertThat(verified.valid()).as(verified.message()).isTrue();
    assertThat(verified.message()).startsWith("ok: ").contains(" events, sealed by kid " + kid + " ")
        .contains("addendum " + bundle.getFileName().toString().replace(".zip", ".addendum-2.zip"));
    assertThat(entry(bundle, "events.jsonl")).doesNotContain("\"evidence.rekeyed\"");
    JsonNode report = JSON.readTree(sideFile(".teardown.json").toFile());
    assertThat(report.path("ok").asBoolean()).isTrue();
    assertThat(report.toString()).contains("published the bundle an earlier attempt sealed with the session's key");
    assertThat(stateDir).doesNotExist();
  }

  @Test
  void theSealedTeardownReportListsEveryStepThatRunsAndPublishedFilesAreReadableByTheUploader() throws Exception {
    try (CliProcess run = taskbound(false, "run", "--task", "T-S", "--policy", policy(false).toString(),
        "--out", out.toString(), "--", "sleep", "1")) { // an agent that exits at once races the netns listener hand-off
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isZero();
    }

    List<String> sealed = stepNames(JSON.readTree(RunArtifacts.bundleText(out, "teardown.json")));
    List<String> published = stepNames(JSON.readTree(sideFile(".teardown.json").toFile()));
    assertThat(sealed).isEqualTo(published).endsWith("seal-evidence", "remove-private-state");
    assertThat(RunArtifacts.bundleText(out, "teardown.json")).contains("\"outcome\" : \"scheduled\"");
    assertThat(RunArtifacts.bundleText(out, "summary.md")).contains("| remove-private-state | scheduled | 0 | runs after the seal");
    for (Path published0 : List.of(RunArtifacts.onlyBundle(out), sideFile(".teardown.json"), sideFile(".summary.md"))) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(published0))).as(published0.toString())
          .isEqualTo("rw-r--r--");
    }
  }

  @Test
  void teardownRunsInTheOrderDocsCredentialsMdGivesWithTheSandboxStoppedBeforeAnyRevocation() throws Exception {
    String refreshed = GithubStubs.REFRESHED_TOKEN;
    GithubStubs.stubRefresh(github);
    Map<String, String> env = env(true);
    // the class path on the command line: host variables such as CLASSPATH do not reach the agent

    try (CliProcess run = CliProcess.start(work, env, "run", "--task", "T-O", "--policy", policy(true).toString(),
        "--out", out.toString(), "--", "sh", "-c", "java -cp '" + System.getProperty("java.class.path") + "' dev.taskbound.core.cli.Main token refresh > /dev/null || exit 12")) {
      assertThat(run.waitFor(WAIT)).as(run.stderr()).isZero();
    }

    List<String> ran = stepNames(JSON.readTree(sideFile(".teardown.json").toFile()));
    assertThat(ran).startsWith("stop-sandbox", "revoke-github-token").contains("revoke-vault-lease", "revoke-vault-login");
    github.verify(1, deleteRequestedFor(urlEqualTo("/installation/token")).withHeader("Authorization", equalTo("token " + refreshed)));
    List<List<String>> documented = documentedOrder();
    int at = 0;
    for (String step : ran) {
      int found = -1;
      for (int i = at; i < documented.size() && found < 0; i++) {
        found = documented.get(i).contains(step) ? i : -1;
      }
      assertThat(found).as("step %s of %s, in the documented order %s", step, ran, documented).isNotNegative();
      // An item naming several steps runs them interleaved (one per secret, newest first): stay on it.
      at = documented.get(found).size() > 1 ? found : found + 1;
    }
  }

  /** The numbered list under "Order at teardown" in docs/credentials.md: the `steps` each item names before its colon. */
  private static List<List<String>> documentedOrder() throws IOException {
    String doc = Files.readString(Path.of(System.getProperty("taskbound.repo.root"), "docs", "credentials.md"));
    int start = doc.indexOf("<!-- teardown-order -->");
    int end = doc.indexOf("<!-- /teardown-order -->");
    assertThat(start).as("docs/credentials.md marks its teardown order").isNotNegative();
    List<List<String>> steps = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\d+\\. ((?:`[a-z-]+`(?:, )?)+):").matcher(doc.substring(start, end));
    while (m.find()) {
      List<String> names = new ArrayList<>();
      Matcher name = Pattern.compile("`([a-z-]+)`").matcher(m.group(1));
      while (name.find()) {
        names.add(name.group(1));
      }
      steps.add(names);
    }
    return steps;
  }

  private static List<String> stepNames(JsonNode report) {
    List<String> names = new ArrayList<>();
    report.path("steps").forEach(s -> names.add(s.path("step").asText()));
    return names;
  }

  private Path sideFile(String suffix) throws IOException {
    try (Stream<Path> s = Files.list(out)) {
      return s.filter(p -> p.toString().endsWith(suffix)).findFirst().orElseThrow();
    }
  }

  private static String entry(Path zip, String name) throws IOException {
    try (ZipFile z = new ZipFile(zip.toFile())) {
      return new String(z.getInputStream(z.getEntry(name)).readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** A copy of {@code addendum} (same name, next to a copy of its bundle) with {@code from} replaced in {@code member}. */
  private Path tamperedCopy(Path bundle, Path addendum, String member, String from, String to) throws IOException {
    Path dir = Files.createDirectories(work.resolve("tampered-" + member));
    Files.copy(bundle, dir.resolve(bundle.getFileName()));
    Path copy = dir.resolve(addendum.getFileName());
    try (ZipFile in = new ZipFile(addendum.toFile()); OutputStream os = Files.newOutputStream(copy);
        ZipOutputStream zip = new ZipOutputStream(os)) {
      for (ZipEntry e : java.util.Collections.list(in.entries())) {
        byte[] bytes = in.getInputStream(e).readAllBytes();
        if (e.getName().equals(member)) {
          String text = new String(bytes, StandardCharsets.UTF_8);
          assertThat(text).contains(from);
          bytes = text.replace(from, to).getBytes(StandardCharsets.UTF_8);
        }
        zip.putNextEntry(new ZipEntry(e.getName()));
        zip.write(bytes);
        zip.closeEntry();
      }
    }
    return copy;
  }

  private CliProcess taskbound(boolean withVault, String... args) throws IOException {
    return CliProcess.start(work, env(withVault), args);
  }

  private Map<String, String> env(boolean withVault) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", home.toString());
    env.put("TASKBOUND_RUNTIME_DIR", Files.createDirectories(work.resolve("rt")).toString());
    env.put("TASKBOUND_GITHUB_APP_ID", GithubStubs.APP_ID);
    env.put("TASKBOUND_GITHUB_APP_KEY", PEM);
    env.put("TASKBOUND_GITHUB_API_URL", github.baseUrl());
    if (withVault) {
      env.put("TASKBOUND_VAULT_ADDR", vault.baseUrl());
      env.put("TASKBOUND_VAULT_AUTH", "approle");
      env.put("TASKBOUND_VAULT_ROLE_ID", "role-0001");
      env.put("TASKBOUND_VAULT_SECRET_ID", VaultStubs.SECRET_ID);
    }
    return env;
  }

  private Path policy(boolean withVault) throws IOException {
    String vaultSpec = !withVault ? "" : String.join("\n",
        "  vault:",
        "    policies: [app-read]",
        "    ttl: 5m",
        "    secrets:",
        "      - {name: db, kind: dynamic, path: database/creds/readonly, field: password, file: db.txt}",
        "");
    return apis.writeTask(work.resolve(withVault ? "task-vault.yml" : "task.yml"), vaultSpec);
  }
}
