package dev.taskbound.core.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.identity.IdentityIssuer;
import dev.taskbound.core.identity.IdentityRequest;
import dev.taskbound.core.identity.SessionId;
import dev.taskbound.core.identity.TaskId;
import dev.taskbound.core.identity.TaskIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretsStayOutOfEvidenceTest {
  private static final String SENTINEL = "ghs_SENTINELsecretValue0123456789abcdefXYZ";

  @TempDir Path session;
  @TempDir Path keys;

  @Test
  void noSecretReachesAnyEvidenceFileWhenOnlyFingerprintsAreLogged() throws Exception {
    Clock clock = Clock.systemUTC();
    SessionId sessionId = SessionId.random();
    IdentityIssuer issuer = IdentityIssuer.generate(clock);
    TaskIdentity identity = issuer.mint(new IdentityRequest("ci.example.org", TaskId.parse("JIRA-7"), sessionId,
        "vault.example.org", clock.instant().plus(Duration.ofMinutes(10)), Map.of("repository", "acme/widgets")));
    SealingKey sealingKey = SealingKey.generate();
    Path events = session.resolve("events.jsonl");
    Path seal = session.resolve("seal.json");
    Path bundle;

    try (EvidenceLog log = EvidenceLog.create(events, sessionId.value(), clock)) {
      log.append("identity.minted", Map.of("spiffe_id", identity.spiffeId().toString(), "kid", identity.keyId(),
          "audience", "vault.example.org", "expires_at", identity.expiresAt().toString(), "fingerprint", identity.fingerprint()));
      log.append("credential.issued", Map.of("broker", "github", "fingerprint", Fingerprint.of(SENTINEL)));
      log.append("teardown.step", Map.of("step", "revoke-github-token", "outcome", "ok", "attempts", 1,
          "detail", "revoked " + Fingerprint.of(SENTINEL)));
      log.append("session.closed", Map.of("exit_code", 0, "teardown_ok", true));
      BundleWriter.Content content = BundleWriter.render(new BundleInputs(events,
          JwkSets.merge(sealingKey.publicJwkSetJson(), issuer.jwksJson()), "{}", identity.claimsJson(), "{\"steps\":[]}"));
      Sealer.seal(log, sealingKey, seal, content.members());
      bundle = BundleWriter.write(content, seal, session.resolve("bundle.zip"));
    }

    List<String> texts = allTexts(session);
    assertThat(texts).hasSizeGreaterThanOrEqualTo(8 + 3);
    for (String text : texts) {
      assertThat(text).doesNotContain(SENTINEL).doesNotContain(identity.token())
          .doesNotContain(identity.token().substring(identity.token().lastIndexOf('.') + 1));
    }
    assertThat(String.join("\n", texts)).contains(Fingerprint.of(SENTINEL)).contains(identity.fingerprint());
    assertThat(BundleVerifier.verify(bundle).valid()).isTrue();
    try (ZipFile zip = new ZipFile(bundle.toFile())) {
      String jwks = new String(zip.getInputStream(zip.getEntry("jwks.json")).readAllBytes(), StandardCharsets.UTF_8);
      assertThat(jwks).contains(sealingKey.keyId()).contains(issuer.keyId()).doesNotContain("\"d\"");
    }
  }

  /** Every file under {@code dir} as text, with each zip member as its own text. */
  private static List<String> allTexts(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        out.add(Files.readString(f, StandardCharsets.ISO_8859_1));
        if (f.toString().endsWith(".zip")) {
          try (ZipFile zip = new ZipFile(f.toFile())) {
            for (ZipEntry e : Collections.list(zip.entries())) {
              try (InputStream in = zip.getInputStream(e)) {
                out.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
              }
            }
          }
        }
      }
    }
    return out;
  }
}
