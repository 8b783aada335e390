package dev.taskbound.core.broker;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.broker.github.GithubAppConfig;
import dev.taskbound.core.broker.github.GithubAppKey;
import dev.taskbound.core.broker.github.GithubBroker;
import dev.taskbound.core.broker.vault.VaultAuth;
import dev.taskbound.core.broker.vault.VaultBroker;
import dev.taskbound.core.broker.vault.VaultBrokerConfig;
import dev.taskbound.core.broker.vault.VaultChildToken;
import dev.taskbound.core.broker.vault.VaultConnection;
import dev.taskbound.core.broker.vault.VaultSecretSpec;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every secret the stubs hand out carries "SENTINEL": none may appear in an exception message
 * (with its suppressed ones), a toString, a Vault journal handle, or a log record of the client
 * libraries at FINE. The GitHub token is in its own journal handle by design (it revokes itself).
 */
class SecretLeakTest extends StubServerTest {
  static final String GH_TOKEN = "ghs_SENTINELleakTOKEN0123456789abcdefghijXY";

  final List<String> logs = new ArrayList<>();
  final List<Logger> loggers = List.of(Logger.getLogger("org.kohsuke.github"), Logger.getLogger("io.github.jopenlibs"));
  final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      synchronized (logs) {
        logs.add(new SimpleFormatter().format(record));
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void captureLogs() {
    for (Logger logger : loggers) {
      logger.setLevel(Level.FINE);
      logger.addHandler(capture);
    }
    capture.setLevel(Level.ALL);
  }

  @AfterEach
  void releaseLogs() {
    for (Logger logger : loggers) {
      logger.removeHandler(capture);
      logger.setLevel(null);
    }
  }

  @Test
  void noSecretInMessagesToStringsVaultHandlesOrLibraryLogs() throws Exception {
    List<String> seen = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    // Vault: a full issue, then a failing one (403 on a dynamic secret after login and child token).
    vaultStubs();
    RecordingUndo vaultJournal = new RecordingUndo();
    VaultBroker vault = vaultBroker(List.of(
        VaultSecretSpec.env("kv", VaultSecretSpec.Kind.KV1, "secret/app/config", Optional.empty(), "KV")));
    List<IssuedCredential> issued = new ArrayList<>(vault.issue(vaultJournal));
    vaultJournal.replay(RevocationContext.builder().vaultTokens(vault.tokenSource()).build());
    server.stubFor(get(urlEqualTo("/v1/database/creds/ro")).willReturn(aResponse().withStatus(403)
        .withBody("{\"errors\":[\"permission denied\"]}")));
    RecordingUndo failedJournal = new RecordingUndo();
    try {
      vaultBroker(List.of(VaultSecretSpec.env("db", VaultSecretSpec.Kind.DYNAMIC, "database/creds/ro", Optional.empty(), "DB")))
          .issue(failedJournal);
    } catch (BrokerException e) {
      collect(e, seen);
    }
    for (RecordingUndo.Entry entry : concat(vaultJournal.entries(), failedJournal.entries())) {
      seen.add(json.writeValueAsString(entry.handle()));
    }
    // GitHub: issue, then a failing revoke.
    githubStubs();
    KeyPairHolder keys = new KeyPairHolder();
    GithubBroker github = new GithubBroker(new GithubAppConfig("1", keys.key, URI.create(server.baseUrl()),
        List.of("acme/app"), Map.of("contents", "read")), Retry.of(2, Duration.ZERO, Duration.ZERO, Duration.ZERO, d -> { }),
        Duration.ofSeconds(5));
    issued.addAll(github.issue(new RecordingUndo()));
    try {
      Revocations.revoke(Revocations.REVOKE_GITHUB_TOKEN, Map.of("api_url", server.baseUrl(), "token", GH_TOKEN),
          RevocationContext.builder().retry(Retry.of(2, Duration.ZERO, Duration.ZERO, Duration.ZERO, d -> { })).build());
    } catch (BrokerException e) {
      collect(e, seen);
    }
    issued.forEach(c -> seen.add(c.toString()));
    synchronized (logs) {
      seen.addAll(logs);
    }

    assertThat(issued).hasSize(3);
    assertThat(seen).hasSizeGreaterThan(8);
    assertThat(seen).allSatisfy(text -> assertThat(text).doesNotContain("SENTINEL"));
    assertThat(seen).anySatisfy(text -> assertThat(text).contains("permission denied"));
  }

  static List<RecordingUndo.Entry> concat(List<RecordingUndo.Entry> a, List<RecordingUndo.Entry> b) {
    List<RecordingUndo.Entry> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  static void collect(Throwable e, List<String> seen) {
    seen.add(String.valueOf(e.getMessage()));
    seen.add(e.toString());
    for (Throwable s : e.getSuppressed()) {
      collect(s, seen);
    }
    if (e.getCause() != null) {
      collect(e.getCause(), seen);
    }
  }

  VaultBroker vaultBroker(List<VaultSecretSpec> secrets) {
    return new VaultBroker(new VaultBrokerConfig(VaultConnection.of(URI.create("http://127.0.0.1:" + server.port())),
        new VaultAuth.AppRole(null, "role", Secret.of("SENTINEL-secret-id")),
        new VaultChildToken(List.of("app"), Duration.ofMinutes(10), OptionalLong.empty()), secrets, true),
        Retry.of(2, Duration.ZERO, Duration.ZERO, Duration.ZERO, d -> { }), Duration.ofSeconds(2), Clock.systemUTC());
  }

  void vaultStubs() {
    String login = vaultAuth("hvs.SENTINELlogin", "acc-l");
    String child = vaultAuth("hvs.SENTINELchild", "acc-c");
    server.stubFor(post(urlEqualTo("/v1/auth/approle/login")).willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(login)));
    server.stubFor(post(urlEqualTo("/v1/auth/token/create")).willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(child)));
    server.stubFor(get(urlEqualTo("/v1/secret/app/config")).willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
        .withBody("{\"request_id\":\"r\",\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":60,\"data\":"
            + "{\"a\":\"SENTINEL-a\",\"b\":\"multi\\nline SENTINEL-b\"},\"wrap_info\":null,\"warnings\":null,\"auth\":null}")));
    server.stubFor(post(urlEqualTo("/v1/auth/token/revoke-accessor")).willReturn(aResponse().withStatus(204)));
    server.stubFor(post(urlEqualTo("/v1/auth/token/revoke-self")).willReturn(aResponse().withStatus(204)));
  }

  static String vaultAuth(String token, String accessor) {
    return "{\"request_id\":\"r\",\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":0,\"data\":null,"
        + "\"wrap_info\":null,\"warnings\":null,\"auth\":{\"client_token\":\"" + token + "\",\"accessor\":\""
        + accessor + "\",\"policies\":[\"default\"],\"token_policies\":[\"default\"],\"metadata\":{},"
        + "\"lease_duration\":600,\"renewable\":false,\"entity_id\":\"\",\"token_type\":\"service\",\"orphan\":false}}";
  }

  void githubStubs() {
    server.stubFor(get(urlEqualTo("/app")).willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody("{\"id\":1,\"slug\":\"t\"}")));
    server.stubFor(get(urlEqualTo("/repos/acme/app/installation")).willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
        .withBody("{\"id\":7,\"permissions\":{\"contents\":\"read\"}}")));
    server.stubFor(post(urlEqualTo("/app/installations/7/access_tokens")).willReturn(aResponse().withStatus(201).withHeader("Content-Type", "application/json")
        .withBody("{\"token\":\"" + GH_TOKEN + "\",\"expires_at\":\"2026-11-27T12:00:00Z\","
            + "\"permissions\":{\"contents\":\"read\"},\"repository_selection\":\"selected\","
            + "\"repositories\":[{\"id\":1,\"name\":\"app\",\"full_name\":\"acme/app\"}]}")));
    server.stubFor(delete(urlEqualTo("/installation/token")).willReturn(aResponse().withStatus(500)
        .withBody("{\"message\":\"Server Error\"}")));
  }

  static final class KeyPairHolder {
    final GithubAppKey key = GithubAppKey.parsePem(TestKeys.pkcs8Pem(TestKeys.rsa()), "test");
  }
}
