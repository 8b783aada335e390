package dev.taskbound.action;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.evidence.VerificationResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Vault and OIDC inputs in the shipped image, run as the runner runs it (issue 12): the action
 * fetches the job's OIDC token from a stand-in of the runner's token URL on loopback and verifies it
 * against the keys of a stand-in issuer ({@link GithubOidcStub}), the core logs
 * in to a WireMock Vault with it (JWT login, child token, a KV v2 read, revocation at teardown, each
 * request exactly as Vault documents it), the OIDC claims reach the task identity in the evidence,
 * {@code egress-allow} narrows the policy, the outputs carry the SPIFFE ID, and the bundle belongs
 * to the workspace's owner. Fixtures (image, runner mounts, canaries) are {@link ActionContainerIT}'s.
 */
class VaultOidcActionIT extends ActionContainerIT {
  private static final String LOGIN_TOKEN = "hvs.SENTINELloginTOKENaction";
  private static final String CHILD_TOKEN = "hvs.SENTINELchildTOKENaction";
  private static final String CHILD_ACCESSOR = "acc-child-action-0002";
  private static final String DB_PASSWORD = "SENTINEL-kv2-password-action";
  private static final String REQUEST_TOKEN = GithubOidcStub.REQUEST_TOKEN;
  private static final int WORKSPACE_UID = 1001;
  private static final int WORKSPACE_GID = 121;

  private WireMockServer vault;
  private GithubOidcStub github;

  /** The plain end-to-end run is ActionContainerIT's; not run again here (a method without @Test is no test). */
  @Override
  void runsAgentInSiblingContainersWithEnforcedEgressAGithubAppTokenAndVerifiableEvidence() {}

  @AfterEach
  void stopStandIns() {
    if (vault != null) {
      vault.stop();
    }
    if (github != null) {
      github.close();
    }
  }

  @Test
  void logsInToVaultWithTheJobsOidcTokenPutsItsClaimsInTheIdentityAndHandsTheRunnerUserTheBundle() throws Exception {
    String image = actionImage();
    requireAgentImage();
    startVault();
    github = new GithubOidcStub();
    String audience = vault.baseUrl(); // the Vault URL without a trailing slash: the default audience
    String oidcJwt = GithubOidcStub.sign(github.claims(audience).build());
    github.answers(audience, oidcJwt);
    Files.setAttribute(workspace, "unix:uid", WORKSPACE_UID);
    Files.setAttribute(workspace, "unix:gid", WORKSPACE_GID);
    Files.createDirectories(workspace.resolve("taskbound"));
    Files.writeString(workspace.resolve("taskbound/policy.yml"), """
        apiVersion: taskbound.dev/v1
        kind: Task
        metadata:
          name: vault-oidc
        spec:
          ttl: 5m
          sandbox: {backends: [container], enforcement: strict}
          egress:
            allow: ["api.test:8080", "registry.test:8443"]
            hosts: {api.test: 127.0.0.1, registry.test: 127.0.0.1}
          vault:
            policies: [app-read]
            ttl: 5m
            numUses: 4
            secrets:
              - {name: db, kind: kv2, path: kv/app/db, field: password, env: DB_PASSWORD}
        """);
    Map<String, String> inputs = new LinkedHashMap<>(CANARIES);
    inputs.put("INPUT_TASK", "VAULT-1");
    inputs.put("INPUT_POLICY-FILE", "taskbound/policy.yml");
    inputs.put("INPUT_COMMAND", "mkdir -p out && env > out/env.txt");
    inputs.put("INPUT_AGENT-IMAGE", AGENT_IMAGE);
    inputs.put("INPUT_EGRESS-ALLOW", "api.test:8080");
    inputs.put("INPUT_VAULT-URL", vault.baseUrl());
    inputs.put("INPUT_VAULT-NAMESPACE", "team-a");
    inputs.put("INPUT_VAULT-AUTH", "jwt");
    inputs.put("INPUT_VAULT-ROLE", "taskbound-ci");
    github.putRunnerVariables(inputs); // the token URL and request token, the server, repository and run

    Result main = runAction(image, "main", List.of(), inputs);

    assertThat(main.status()).as("main step status; output:%n%s", main.output()).isZero();
    // The OIDC token: asked for once with the Vault URL as audience, by the action alone, and verified
    // against the issuer's keys (asked for without a credential).
    assertThat(github.requests()).containsExactly(GithubOidcStub.tokenRequestLine(audience), GithubOidcStub.KEYS_REQUEST_LINE);
    // Vault, in order: JWT login with that token, a child token, the read with it; then the child
    // token revoked by accessor and the login token by itself. Every request in the namespace.
    assertThat(vaultRequests()).containsExactly(
        "POST /v1/auth/jwt/login no-token",
        "POST /v1/auth/token/create login-token",
        "GET /v1/kv/data/app/db child-token",
        "POST /v1/auth/token/revoke-accessor login-token",
        "POST /v1/auth/token/revoke-self login-token");
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/jwt/login"))
        .withRequestBody(equalToJson("{\"role\":\"taskbound-ci\",\"jwt\":\"" + oidcJwt + "\"}")));
    vault.verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
    assertThat(vault.findAll(anyRequestedFor(anyUrl()))).allSatisfy(r ->
        assertThat(r.getHeader("X-Vault-Namespace")).as(r.getUrl()).isEqualTo("team-a"));
    // The agent got the secret and nothing of the login; the log has the values only as masks.
    String agentEnv = Files.readString(workspace.resolve("out/env.txt"));
    assertThat(agentEnv).contains("DB_PASSWORD=" + DB_PASSWORD)
        .doesNotContain(oidcJwt, LOGIN_TOKEN, CHILD_TOKEN, REQUEST_TOKEN, "canary-", "TASKBOUND_VAULT", "INPUT_VAULT");
    List<String> lines = main.output().lines().toList();
    assertThat(lines).contains("::add-mask::" + oidcJwt, "::add-mask::" + DB_PASSWORD, "::add-mask::" + CHILD_TOKEN);
    assertThat(String.join("\n", lines.stream().filter(l -> !l.startsWith("::add-mask::")).toList()))
        .doesNotContain(oidcJwt, DB_PASSWORD, LOGIN_TOKEN, CHILD_TOKEN, REQUEST_TOKEN, "Exception");
    try (var left = Files.list(home.resolve(".taskbound/oidc"))) {
      assertThat(left).as("the OIDC token file is gone after the run").isEmpty();
    }

    // Outputs, the identity's claims from the OIDC token, the narrowed egress, the bundle's owner.
    Map<String, String> outputs = keyValues(fileCommands.resolve("output"));
    assertThat(outputs).containsEntry("exit-code", "0");
    Path bundle = workspace.resolve(outputs.get("bundle"));
    String session = outputs.get("session-id");
    assertThat(outputs.get("spiffe-id")).isEqualTo("spiffe://taskbound.local/task/VAULT-1/" + session);
    VerificationResult verified = BundleVerifier.verify(bundle);
    assertThat(verified.valid()).as(verified.message()).isTrue();
    assertThat(entry(bundle, "identity.json")).contains(
        "\"repository\" : \"acme/app\"", "\"run_id\" : \"5964880612\"", "\"run_attempt\" : \"2\"",
        "\"workflow_ref\" : \"acme/app/.github/workflows/agent.yml@refs/heads/main\"",
        "\"sha\" : \"0123456789abcdef0123456789abcdef01234567\"", "\"actor\" : \"octocat\"",
        "\"job_workflow_ref\" : \"acme/app/.github/workflows/agent.yml@refs/heads/main\"");
    assertThat(entry(bundle, "effective-policy.json")).contains("\"allow\":[\"api.test:8080\"]").doesNotContain("registry.test:8443");
    for (Path p : List.of(bundle, bundle.getParent())) {
      assertThat(Files.getAttribute(p, "unix:uid")).as("owner of %s", p).isEqualTo(WORKSPACE_UID);
      assertThat(Files.getAttribute(p, "unix:gid")).as("group of %s", p).isEqualTo(WORKSPACE_GID);
    }
  }

  /** Vault answering as its API documents: JWT login, child token, a KV v2 read, 204 for each revoke. */
  private void startVault() {
    vault = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    vault.start();
    vault.stubFor(post(urlEqualTo("/v1/auth/jwt/login"))
        .willReturn(json(auth(LOGIN_TOKEN, "acc-login-action-0001", 3600, "[\"default\",\"taskbound-broker\",\"app-read\"]"))));
    vault.stubFor(post(urlEqualTo("/v1/auth/token/create")).withHeader("X-Vault-Token", equalTo(LOGIN_TOKEN))
        .willReturn(json(auth(CHILD_TOKEN, CHILD_ACCESSOR, 300, "[\"default\",\"app-read\"]"))));
    vault.stubFor(get(urlEqualTo("/v1/kv/data/app/db")).withHeader("X-Vault-Token", equalTo(CHILD_TOKEN))
        .willReturn(json("{\"request_id\":\"r2\",\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":0,"
            + "\"data\":{\"data\":{\"password\":\"" + DB_PASSWORD + "\"},\"metadata\":{\"created_time\":"
            + "\"2026-11-20T09:00:00.000Z\",\"custom_metadata\":null,\"deletion_time\":\"\",\"destroyed\":false,"
            + "\"version\":3}},\"wrap_info\":null,\"warnings\":null,\"auth\":null}")));
    vault.stubFor(post(urlEqualTo("/v1/auth/token/revoke-accessor")).willReturn(aResponse().withStatus(204)));
    vault.stubFor(post(urlEqualTo("/v1/auth/token/revoke-self")).willReturn(aResponse().withStatus(204)));
  }

  private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder json(String body) {
    return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body);
  }

  private static String auth(String token, String accessor, long ttl, String policies) {
    return "{\"request_id\":\"4f2a0ef5-1c62-0f1b-3f5d-9e8c2b0d1a77\",\"lease_id\":\"\",\"renewable\":false,"
        + "\"lease_duration\":0,\"data\":null,\"wrap_info\":null,\"warnings\":null,\"auth\":{"
        + "\"client_token\":\"" + token + "\",\"accessor\":\"" + accessor + "\",\"policies\":" + policies + ","
        + "\"token_policies\":" + policies + ",\"metadata\":{},\"lease_duration\":" + ttl + ",\"renewable\":false,"
        + "\"entity_id\":\"\",\"token_type\":\"service\",\"orphan\":false}}";
  }

  /** Vault's requests in arrival order: method, path and which token authenticated it. */
  private List<String> vaultRequests() {
    List<LoggedRequest> logged = new ArrayList<>(vault.findAll(anyRequestedFor(anyUrl())));
    logged.sort(Comparator.comparing(LoggedRequest::getLoggedDate));
    return logged.stream().map(r -> {
      String token = r.getHeader("X-Vault-Token");
      String who = token == null ? "no-token" : token.equals(LOGIN_TOKEN) ? "login-token"
          : token.equals(CHILD_TOKEN) ? "child-token" : "other-token";
      return r.getMethod() + " " + r.getUrl() + " " + who;
    }).toList();
  }

  private static String entry(Path zip, String name) throws IOException {
    try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(zip.toFile())) {
      return new String(z.getInputStream(z.getEntry(name)).readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
