package dev.taskbound.core.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.taskbound.core.broker.vault.VaultStubs.CHILD_ACCESSOR;
import static dev.taskbound.core.broker.vault.VaultStubs.CHILD_TOKEN;
import static dev.taskbound.core.broker.vault.VaultStubs.DYNAMIC_PASSWORD;
import static dev.taskbound.core.broker.vault.VaultStubs.SECRET_ID;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.vault.VaultStubs;
import dev.taskbound.core.cli.TaskboundCli;
import dev.taskbound.core.identity.TaskId;
import dev.taskbound.core.session.Session;
import dev.taskbound.core.session.SessionSpec;
import dev.taskbound.core.testing.FileGrep;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Vault child token stays with the issuer: the controller read the secrets with it and revokes it
 * from its journal, and no policy exposes it to the agent, so a credential hand-off carries its
 * fingerprint (for the session's evidence) and never its value. Vault is a loopback WireMock stand-in.
 */
@Timeout(120)
class VaultChildTokenHandoffTest {
  @TempDir Path work;
  @RegisterExtension final CredentialApis apis = new CredentialApis();

  @Test
  void theHandoffCarriesTheChildTokensFingerprintNotItsValueAndTheSessionStillRecordsIt() throws Exception {
    VaultStubs.stubAll(apis.vault());
    Path policy = Files.writeString(work.resolve("task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1",
        "kind: Task",
        "spec:",
        "  ttl: 10m",
        "  vault:",
        "    policies: [app-read]",
        "    ttl: 5m",
        "    secrets:",
        "      - {name: db, kind: dynamic, path: database/creds/readonly, field: password, file: db.txt}",
        ""));
    Path handoff = work.resolve("handoff.json");

    Result issue = taskbound("credentials", "issue", "--task", "T-42", "--policy", policy.toString(), "--handoff",
        handoff.toString());

    assertThat(issue.status).as(issue.err).isZero();
    assertThat(Files.readString(handoff)).doesNotContain(CHILD_TOKEN).contains(Secret.of(CHILD_TOKEN).fingerprint())
        .contains(DYNAMIC_PASSWORD);
    Path runtime = Files.createDirectories(work.resolve("agent-rt"));
    Path evidence = work.resolve("agent-out");
    SessionSpec agent = SessionSpec.builder(TaskId.parse("T-42"), List.of("true"))
        .policyFile(policy)
        .sessionRoot(work.resolve("agent-sessions"))
        .runtimeRoot(runtime)
        .outDir(evidence)
        .credentialHandoff(handoff)
        .build();
    try (Session session = Session.open(agent)) {
      assertThat(FileGrep.filesContaining(DYNAMIC_PASSWORD, runtime)).as("the secret's file").hasSize(1);
    }
    assertThat(RunArtifacts.bundleText(evidence, "events.jsonl"))
        .contains("\"fingerprint\":\"" + Secret.of(CHILD_TOKEN).fingerprint() + "\",\"kind\":\"vault-token\","
            + "\"name\":\"vault-token\"");
    assertThat(FileGrep.filesContaining(CHILD_TOKEN, work)).as("no file on either side holds the child token").isEmpty();

    Result revoke = taskbound("credentials", "revoke", "--journal", issue.out.strip());

    assertThat(revoke.status).as(revoke.err).isZero();
    apis.vault().verify(1, postRequestedFor(urlEqualTo("/v1/auth/token/revoke-accessor"))
        .withRequestBody(equalToJson("{\"accessor\":\"" + CHILD_ACCESSOR + "\"}")));
  }

  private record Result(int status, String out, String err) {}

  /** The CLI in this JVM with the controller's environment: Vault's address and its AppRole login. */
  private Result taskbound(String... args) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TASKBOUND_HOME", work.resolve("controller-home").toString());
    env.put("TASKBOUND_VAULT_ADDR", apis.vault().baseUrl());
    env.put("TASKBOUND_VAULT_AUTH", "approle");
    env.put("TASKBOUND_VAULT_ROLE_ID", "role-0001");
    env.put("TASKBOUND_VAULT_SECRET_ID", SECRET_ID);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = TaskboundCli.execute(args, new PrintWriter(out), new PrintWriter(err), env);
    return new Result(status, out.toString(), err.toString());
  }
}
