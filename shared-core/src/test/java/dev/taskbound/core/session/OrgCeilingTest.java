package dev.taskbound.core.session;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.github.OrgCeilingStubs.CEILING_CREATE_BODY;
import static dev.taskbound.core.broker.github.OrgCeilingStubs.CEILING_TOKEN;
import static dev.taskbound.core.broker.github.OrgCeilingStubs.COMMIT;
import static dev.taskbound.core.broker.github.OrgCeilingStubs.CONTENTS_PATH;
import static dev.taskbound.core.broker.github.OrgCeilingStubs.PROFILES_PATH;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;
import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.StubServerTest;
import dev.taskbound.core.broker.TestKeys;
import dev.taskbound.core.broker.github.GithubStubs;
import dev.taskbound.core.broker.github.OrgCeilingStubs;
import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.GithubPolicyLocation;
import dev.taskbound.core.policy.PolicyException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: the org ceiling read from the organisation's {@code .github} repository through the
 * GitHub API stand-in: exactly which requests, with which credentials, in which order.
 */
class OrgCeilingTest extends StubServerTest {
  private static final KeyPair APP_KEY = TestKeys.rsa();
  private static final GithubPolicyLocation LOCATION = GithubPolicyLocation.orgCeiling("acme");

  @TempDir Path sessionRoot;
  private CredentialSources sources;
  private String ceiling;

  @BeforeEach
  void stubGithub() {
    GithubStubs.stubApp(server);
    ceiling = OrgCeilingStubs.ceiling(server.port());
    sources = CredentialSources.fromEnvironment(Map.of(
        "TASKBOUND_GITHUB_APP_ID", GithubStubs.APP_ID,
        "TASKBOUND_GITHUB_APP_KEY", TestKeys.pkcs8Pem(APP_KEY),
        "TASKBOUND_GITHUB_API_URL", server.baseUrl()));
  }

  @Test
  void readsTheCeilingAtTheDefaultBranchHeadWithATokenForDotGithubAloneThenRevokesIt() {
    OrgCeilingStubs.stubOrgCeiling(server, ceiling);

    OrgCeiling org = OrgCeiling.read(LOCATION, sources, false, sessionRoot);

    assertThat(org.applied()).isTrue();
    assertThat(org.commit()).isEqualTo(COMMIT);
    assertThat(org.digest()).isEqualTo(OrgCeilingStubs.digest(ceiling));
    assertThat(new String(org.text().orElseThrow().content(), StandardCharsets.UTF_8)).isEqualTo(ceiling);
    assertThat(org.text().orElseThrow().name()).isEqualTo("github:acme/.github/taskbound/ceiling.yml@" + COMMIT.substring(0, 12));
    assertThat(OrgCeilingStubs.requestLog(server, "none")).containsExactly(
        "GET /app [app]",
        "GET /repos/acme/.github/installation [app]",
        "POST /app/installations/42/access_tokens [app] " + postBody(),
        "GET /repos/acme/.github [ceiling]",
        "GET /repos/acme/.github/git/ref/heads/main [ceiling]",
        "GET " + CONTENTS_PATH + " [ceiling]",
        "GET " + PROFILES_PATH + " [ceiling]",
        "DELETE /installation/token [ceiling]");
    assertThat(sessionRoot).isEmptyDirectory(); // the token's journal is gone with the token
    server.verify(1, postRequestedFor(urlEqualTo(GithubStubs.ACCESS_TOKENS_PATH))
        .withRequestBody(equalToJson(CEILING_CREATE_BODY)));
    assertThat(GithubStubs.isAppJwt(server.findAll(postRequestedFor(urlEqualTo(GithubStubs.ACCESS_TOKENS_PATH)))
        .get(0).getHeader("Authorization"), APP_KEY)).isTrue();
    assertThat(org.claims()).containsExactly(
        Map.entry("ceiling_source", "github:acme/.github/taskbound/ceiling.yml"),
        Map.entry("ceiling_commit", COMMIT),
        Map.entry("ceiling_digest", OrgCeilingStubs.digest(ceiling)));
    assertThat(org.evidence()).containsEntry("commit", COMMIT).containsEntry("digest", OrgCeilingStubs.digest(ceiling))
        .containsEntry("read_token", Map.of("fingerprint", Secret.of(CEILING_TOKEN).fingerprint(),
            "permissions", Map.of("contents", "read"), "revoked", true));
    assertThat(org.toString() + org.evidence() + org.describe()).doesNotContain(CEILING_TOKEN);
  }

  @Test
  void everyResolutionUnderAGithubCeilingRefusesAWriteGrantReachingItsRepositoryEvenWhereTheFileIsMissing()
      throws Exception {
    OrgCeilingStubs.stubOrgCeiling(server, ceiling.replace("permissions: {contents: read}", "permissions: {contents: write}"));
    Path task = java.nio.file.Files.writeString(sessionRoot.resolveSibling(sessionRoot.getFileName() + "-task.yml"),
        "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  github:\n    permissions: {contents: write}\n");

    // run, session start, credentials issue, policy check and explain all resolve through here
    OrgCeiling org = OrgCeiling.read(LOCATION, sources, false, sessionRoot);
    assertThatThrownBy(() -> org.resolve(List.of(task), Optional.empty()))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("spec.github.repositories 'acme/*'")
        .hasMessageContaining("reaches acme/.github, which holds the org ceiling")
        .satisfies(e -> assertThat(((TaskboundException) e).exitCode()).isEqualTo(ExitCodes.POLICY));

    server.resetAll();
    GithubStubs.stubApp(server);
    OrgCeilingStubs.stubInstallationAndToken(server);
    OrgCeilingStubs.stubRepositoryAndHead(server);
    server.stubFor(get(urlEqualTo(CONTENTS_PATH)).willReturn(aResponse().withStatus(404)));
    Path own = java.nio.file.Files.writeString(sessionRoot.resolveSibling(sessionRoot.getFileName() + "-ceiling.yml"),
        "apiVersion: taskbound.dev/v1\nkind: Ceiling\nspec:\n  github:\n    repositories: [acme/*]\n"
            + "    permissions: {contents: write}\n");
    OrgCeiling missing = OrgCeiling.read(LOCATION, sources, true, sessionRoot);
    assertThatThrownBy(() -> missing.resolve(List.of(own), Optional.empty()))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("the agent could rewrite the ceiling that binds it");
  }

  @Test
  void aCeilingReadTokenGrantingMoreThanAskedIsRevokedAndLeavesNoJournalBehind() {
    OrgCeilingStubs.stubOrgCeiling(server, ceiling);
    server.stubFor(post(urlEqualTo(GithubStubs.ACCESS_TOKENS_PATH)).atPriority(0)
        .willReturn(aResponse().withStatus(201).withHeader("Content-Type", "application/json")
            .withBody("{\"token\":\"" + CEILING_TOKEN + "\",\"expires_at\":\"2026-12-06T04:00:00Z\","
                + "\"permissions\":{\"contents\":\"write\"},\"repository_selection\":\"all\"}")));

    assertThatThrownBy(() -> OrgCeiling.read(LOCATION, sources, false, sessionRoot))
        .isInstanceOf(BrokerException.class)
        .hasMessageContaining("GitHub's answer grants more than the policy asked: contents:write where contents:read"
            + " was asked; repository_selection is all where only [acme/.github] were asked; it was revoked");
    server.verify(1, deleteRequestedFor(urlEqualTo("/installation/token"))
        .withHeader("Authorization", equalTo("token " + CEILING_TOKEN)));
    assertThat(sessionRoot).isEmptyDirectory(); // no journal left holding the revoked token
    server.verify(0, getRequestedFor(urlEqualTo(OrgCeilingStubs.REPO_PATH)));
  }

  @Test
  void missingCeilingFileFailsWithThePolicyCodeNamingTheRepositoryAndPathAfterRevokingTheToken() {
    OrgCeilingStubs.stubInstallationAndToken(server);
    OrgCeilingStubs.stubRepositoryAndHead(server);
    server.stubFor(get(urlEqualTo(CONTENTS_PATH)).willReturn(aResponse().withStatus(404)
        .withHeader("Content-Type", "application/json")
        .withBody("{\"message\":\"Not Found\",\"documentation_url\":\"https://docs.github.com/rest\",\"status\":\"404\"}")));

    assertThatThrownBy(() -> OrgCeiling.read(LOCATION, sources, false, sessionRoot))
        .isInstanceOf(PolicyException.class)
        .hasMessageStartingWith("github:acme/.github/taskbound/ceiling.yml: the org ceiling is missing: acme/.github"
            + " has no taskbound/ceiling.yml at main (" + COMMIT + ")")
        .hasMessageContaining("create taskbound/ceiling.yml in acme/.github")
        .satisfies(e -> assertThat(((TaskboundException) e).exitCode()).isEqualTo(ExitCodes.POLICY));
    server.verify(1, deleteRequestedFor(urlEqualTo("/installation/token"))
        .withHeader("Authorization", equalTo("token " + CEILING_TOKEN)));
  }

  @Test
  void missingDotGithubRepositoryFailsWithThePolicyCode() {
    server.stubFor(get(urlEqualTo("/repos/acme/.github/installation")).willReturn(aResponse().withStatus(404)
        .withHeader("Content-Type", "application/json").withBody("{\"message\":\"Not Found\"}")));

    assertThatThrownBy(() -> OrgCeiling.read(LOCATION, sources, false, sessionRoot))
        .isInstanceOf(PolicyException.class)
        .hasMessageStartingWith("github:acme/.github/taskbound/ceiling.yml: the org ceiling is missing: no repository"
            + " acme/.github, or the GitHub App is not installed on it");
    server.verify(0, postRequestedFor(urlEqualTo(GithubStubs.ACCESS_TOKENS_PATH)));
  }

  @Test
  void missingCeilingWithRepositoryCeilingAskedForSaysPlainlyThatNoneApplied() {
    OrgCeilingStubs.stubInstallationAndToken(server);
    OrgCeilingStubs.stubRepositoryAndHead(server);
    server.stubFor(get(urlEqualTo(CONTENTS_PATH)).willReturn(aResponse().withStatus(404)));

    OrgCeiling org = OrgCeiling.read(LOCATION, sources, true, sessionRoot);
    EffectivePolicy policy = org.resolve(List.of(), Optional.empty());

    assertThat(org.applied()).isFalse();
    assertThat(org.describe()).startsWith("no org ceiling applied: acme/.github has no taskbound/ceiling.yml");
    assertThat(org.claims()).containsExactly(Map.entry("ceiling_source", "none"));
    assertThat(org.evidence()).containsEntry("applied", false).containsEntry("note", "no org ceiling applied");
    assertThat(policy.provenance().get("ceiling").isBuiltIn()).isTrue();
  }

  @Test
  void failedGithubRequestGivesTheCredentialsCodeNamingTheRequestAndStillRevokes() {
    OrgCeilingStubs.stubInstallationAndToken(server);
    OrgCeilingStubs.stubRepositoryAndHead(server);
    server.stubFor(get(urlEqualTo(CONTENTS_PATH)).willReturn(aResponse().withStatus(403)
        .withHeader("Content-Type", "application/json").withBody("{\"message\":\"Resource not accessible by integration\"}")));

    assertThatThrownBy(() -> OrgCeiling.read(LOCATION, sources, true, sessionRoot))
        .isInstanceOf(BrokerException.class)
        .hasMessage("github: GET " + CONTENTS_PATH + " failed: HTTP 403: Resource not accessible by integration")
        .satisfies(e -> assertThat(((TaskboundException) e).exitCode()).isEqualTo(ExitCodes.CREDENTIALS));
    server.verify(1, deleteRequestedFor(urlEqualTo("/installation/token"))
        .withHeader("Authorization", equalTo("token " + CEILING_TOKEN)));
  }

  @Test
  void ceilingLargerThanAPolicyMayBeIsRefusedWithoutDownloadingIt() {
    OrgCeilingStubs.stubInstallationAndToken(server);
    OrgCeilingStubs.stubRepositoryAndHead(server);
    server.stubFor(get(urlEqualTo(CONTENTS_PATH)).willReturn(GithubStubs.okJson(
        "{\"type\":\"file\",\"encoding\":\"none\",\"size\":5242880,\"name\":\"ceiling.yml\","
            + "\"path\":\"taskbound/ceiling.yml\",\"content\":\"\"}")));

    assertThatThrownBy(() -> OrgCeiling.read(LOCATION, sources, false, sessionRoot))
        .isInstanceOf(PolicyException.class)
        .hasMessage("github:acme/.github/taskbound/ceiling.yml@" + COMMIT.substring(0, 12)
            + ": larger than 1048576 bytes (5242880); policy files are small");
  }

  @Test
  void withoutAGithubAppTheCeilingCannotBeReadAndNothingIsAsked() {
    assertThatThrownBy(() -> OrgCeiling.read(LOCATION, CredentialSources.NONE, false, sessionRoot))
        .isInstanceOf(BrokerException.class)
        .hasMessageContaining("read the org ceiling github:acme/.github/taskbound/ceiling.yml failed")
        .hasMessageContaining("no GitHub App is configured");
    assertThat(server.getAllServeEvents()).isEmpty();
  }

  @Test
  void profileFilesNextToTheCeilingAreReadAtTheSameCommitAndSelectedLikeTheCeilingsOwnProfiles() throws Exception {
    OrgCeilingStubs.stubInstallationAndToken(server);
    OrgCeilingStubs.stubRepositoryAndHead(server);
    OrgCeilingStubs.stubContents(server, ceiling.getBytes(StandardCharsets.UTF_8));
    String review = "apiVersion: taskbound.dev/v1\nkind: Profile\nmetadata: {name: review-agent}\nspec:\n  ttl: 5m\n";
    String triage = "apiVersion: taskbound.dev/v1\nkind: Profile\nspec:\n  ttl: 7m\n";
    OrgCeilingStubs.stubProfiles(server, Map.of("review-agent.yml", review, "triage.yaml", triage));

    OrgCeiling org = OrgCeiling.read(LOCATION, sources, false, sessionRoot);
    EffectivePolicy reviewPolicy = org.resolve(List.of(), Optional.of("review-agent"));
    EffectivePolicy inline = org.resolve(List.of(), Optional.of("coding-agent"));

    assertThat(OrgCeilingStubs.requestLog(server, "none").subList(3, 10)).containsExactly(
        "GET /repos/acme/.github [ceiling]",
        "GET /repos/acme/.github/git/ref/heads/main [ceiling]",
        "GET " + CONTENTS_PATH + " [ceiling]",
        "GET " + PROFILES_PATH + " [ceiling]",
        "GET " + OrgCeilingStubs.contentsPath("taskbound/profiles/review-agent.yml") + " [ceiling]",
        "GET " + OrgCeilingStubs.contentsPath("taskbound/profiles/triage.yaml") + " [ceiling]",
        "DELETE /installation/token [ceiling]");
    assertThat(reviewPolicy.ttl()).isEqualTo(java.time.Duration.ofMinutes(5));
    assertThat(reviewPolicy.provenance().get("ttl").toString())
        .startsWith("github:acme/.github/taskbound/profiles/review-agent.yml@" + COMMIT.substring(0, 12) + ":5");
    assertThat(org.resolve(List.of(), Optional.of("triage")).ttl()).isEqualTo(java.time.Duration.ofMinutes(7));
    assertThat(inline.ttl()).isEqualTo(java.time.Duration.ofMinutes(15));
    assertThat(org.profileDigests()).containsExactly(
        Map.entry("taskbound/profiles/review-agent.yml", OrgCeilingStubs.digest(review)),
        Map.entry("taskbound/profiles/triage.yaml", OrgCeilingStubs.digest(triage)));
    assertThat(org.claims()).containsEntry("ceiling_profiles_digest", org.profilesDigest());
    assertThat(org.evidence()).containsEntry("profiles", org.profileDigests());
    assertThat(org.describe()).endsWith("; profiles review-agent, triage from taskbound/profiles/");
  }

  @Test
  void profileFileThatWidensTheCeilingIsRefusedNamingTheFileAtItsCommitAndBothValues() {
    OrgCeilingStubs.stubOrgCeiling(server, ceiling);
    OrgCeilingStubs.stubProfiles(server, Map.of("long.yml",
        "apiVersion: taskbound.dev/v1\nkind: Profile\nspec:\n  ttl: 3h\n"));
    OrgCeiling org = OrgCeiling.read(LOCATION, sources, false, sessionRoot);

    assertThatThrownBy(() -> org.resolve(List.of(), Optional.empty()))
        .isInstanceOf(PolicyException.class)
        .hasMessageStartingWith("github:acme/.github/taskbound/profiles/long.yml@" + COMMIT.substring(0, 12)
            + ":4: spec.ttl: 3h widens the ceiling")
        .hasMessageContaining("allows at most 20m");
  }

  @Test
  void profileDefinedBothInTheCeilingAndInAFileOrNotAProfileDocumentIsRefused() {
    OrgCeilingStubs.stubOrgCeiling(server, ceiling);
    OrgCeilingStubs.stubProfiles(server, Map.of(
        "coding-agent.yml", "apiVersion: taskbound.dev/v1\nkind: Profile\nspec:\n  ttl: 5m\n"));
    OrgCeiling twice = OrgCeiling.read(LOCATION, sources, false, sessionRoot);

    assertThatThrownBy(() -> twice.resolve(List.of(), Optional.empty()))
        .isInstanceOf(PolicyException.class)
        .hasMessageStartingWith("github:acme/.github/taskbound/profiles/coding-agent.yml@" + COMMIT.substring(0, 12)
            + ": profile coding-agent is defined twice (also at github:acme/.github/taskbound/ceiling.yml@");

    server.resetAll();
    GithubStubs.stubApp(server);
    OrgCeilingStubs.stubOrgCeiling(server, ceiling);
    OrgCeilingStubs.stubProfiles(server, Map.of(
        "review.yml", "apiVersion: taskbound.dev/v1\nkind: Ceiling\nspec:\n  ttl: 5m\n"));
    OrgCeiling task = OrgCeiling.read(LOCATION, sources, false, sessionRoot);

    assertThatThrownBy(() -> task.resolve(List.of(), Optional.empty()))
        .isInstanceOf(PolicyException.class)
        .hasMessage("github:acme/.github/taskbound/profiles/review.yml@" + COMMIT.substring(0, 12)
            + ":2: kind: 'Ceiling' in a profile file; accepted: Profile");
  }

  @Test
  void aProfileDocumentInTheRepositorysOwnFilesIsRefused() throws Exception {
    Path local = Files.writeString(sessionRoot.resolve("policy.yml"),
        "apiVersion: taskbound.dev/v1\nkind: Profile\nspec:\n  ttl: 5m\n");

    assertThatThrownBy(() -> dev.taskbound.core.policy.PolicyResolver.resolve(List.of(local), Optional.empty()))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining(local + ":2: kind: Profile is read only from an org ceiling's profiles directory");
  }

  @Test
  void aReadTokenTheReadCouldNotRevokeStaysJournalledAndTeardownRevokesItLater() throws Exception {
    OrgCeilingStubs.stubOrgCeiling(server, ceiling);
    server.stubFor(delete(urlEqualTo("/installation/token")).atPriority(1).willReturn(aResponse().withStatus(403)
        .withHeader("Content-Type", "application/json").withBody("{\"message\":\"Forbidden\"}")));

    assertThatThrownBy(() -> OrgCeiling.read(LOCATION, sources, false, sessionRoot))
        .isInstanceOf(BrokerException.class)
        .hasMessageContaining("403");
    List<Path> left;
    try (var children = Files.list(sessionRoot)) {
      left = children.toList();
    }
    assertThat(left).singleElement().satisfies(dir -> {
      assertThat(dir.getFileName().toString()).startsWith(CeilingReadJournal.PREFIX);
      assertThat(CeilingReadJournal.isOne(dir)).isTrue();
    });

    server.resetAll();
    server.stubFor(delete(urlEqualTo("/installation/token")).willReturn(aResponse().withStatus(204)));
    TeardownReport report = CeilingReadJournal.finish(left.get(0), dev.taskbound.core.broker.RevocationContext.builder()
        .retry(dev.taskbound.core.broker.Retry.of(1, java.time.Duration.ZERO, java.time.Duration.ZERO,
            java.time.Duration.ZERO, sleeper)).build());

    assertThat(report.ok()).as(report.toJson()).isTrue();
    assertThat(OrgCeilingStubs.requestLog(server, "none")).containsExactly("DELETE /installation/token [ceiling]");
    assertThat(sessionRoot).isEmptyDirectory();
  }

  private String postBody() {
    return server.findAll(postRequestedFor(urlEqualTo(GithubStubs.ACCESS_TOKENS_PATH))).get(0).getBodyAsString();
  }
}
