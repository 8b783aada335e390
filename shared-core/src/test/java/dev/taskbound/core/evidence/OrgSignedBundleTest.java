package dev.taskbound.core.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.core.broker.vault.TransitStub;
import dev.taskbound.core.cli.VerifyCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The tamper table of issue 14: a bundle whose evidence key the org signer (Vault Transit) certified,
 * checked by {@code taskbound verify --trusted-keys} after each way a reviewer would try to rewrite
 * it. Each row gives the documented exit code and names what failed.
 */
class OrgSignedBundleTest {
  @TempDir Path tmp;

  private final TransitStub transit = new TransitStub();

  /** A session's script whose session.opened records {@code key} and the org's statement on it. */
  private List<Map<String, Object>> certified(SealingKey key, Consumer<Map<String, Object>> editClaims, int version) {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("kid", key.keyId());
    claims.put("jwk", key.publicJwk());
    claims.put("task", SampleSession.TASK);
    claims.put("session", SampleSession.SESSION);
    claims.put("trust_domain", "acme.dev");
    claims.put("policy_digest", "sha256:0123456789ab");
    claims.put("issued_at", "2026-11-27T10:00:00Z");
    claims.put("expires_at", "2026-11-27T11:15:00Z");
    editClaims.accept(claims);
    ObjectNode statement = KeyStatement.issue("vault-transit:transit/taskbound-evidence", claims, b -> transit.sign(version, b));
    List<Map<String, Object>> script = SampleSession.script();
    script.get(0).put("sealing_kid", key.keyId());
    script.get(0).put("signer_statement", statement);
    return script;
  }

  private record Verdict(int code, String out, String err) {}

  @Test
  void anIntactCertifiedBundleVerifiesAndNamesTheOrgKeyVersion() throws Exception {
    SealingKey key = SealingKey.generate();
    SampleSession s = SampleSession.write(tmp.resolve("s"), certified(key, c -> { }, 1), key);
    Path zip = s.zip(tmp.resolve("bundle.zip"));

    Verdict v = verify(zip, transit.keysResponse());

    assertThat(v.code()).as(v.err()).isZero();
    assertThat(v.out()).endsWith("signer verified by org signer vault-transit:transit/taskbound-evidence key version 1"
        + " (--trusted-keys)");
    assertThat(SampleSession.entry(zip, "signer-statement.json")).contains("\"signature\" : \"vault:v1:");
  }

  @Test
  void editedRemovedReorderedAndAppendedEventsFailOnTheirLine() throws Exception {
    SealingKey key = SealingKey.generate();
    List<Map<String, Object>> script = certified(key, c -> { }, 1);
    String keys = transit.keysResponse();
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("edited", "invalid: line 9: hash mismatch (edited?)");
    expected.put("removed", "invalid: line 9: prev does not match line 8 (deleted or reordered?)");
    expected.put("reordered", "invalid: line 9: prev does not match line 8 (deleted or reordered?)");
    expected.put("appended", "invalid: seal: count 17 but bundle has 18 lines (appended?)");

    for (Map.Entry<String, String> row : expected.entrySet()) {
      SampleSession s = SampleSession.write(tmp.resolve(row.getKey()), script, key);
      List<String> lines = s.lines();
      switch (row.getKey()) {
        case "edited" -> lines.set(8, lines.get(8).replace("203.0.113.9", "203.0.113.10"));
        case "removed" -> lines.remove(8);
        case "reordered" -> lines.add(9, lines.remove(8));
        default -> { }
      }
      s.writeLines(lines);
      if (row.getKey().equals("appended")) { // properly chained, after the seal
        try (EvidenceLog log = EvidenceLog.resume(s.events, SampleSession.SESSION, java.time.Clock.systemUTC())) {
          log.append("egress.allowed", Map.of("host", "exfil.example"));
        }
      }

      Verdict v = verify(s.dir, keys);

      assertThat(v.code()).as(row.getKey()).isEqualTo(1);
      assertThat(v.err()).as(row.getKey()).isEqualTo(row.getValue());
    }
  }

  @Test
  void aBundleRechainedAndResealedWithASwappedJwksFailsOnTheStatementsKid() throws Exception {
    SealingKey key = SealingKey.generate();
    List<Map<String, Object>> script = certified(key, c -> { }, 1);
    script.remove(8); // the egress.denied the attacker wants gone
    SealingKey attacker = SealingKey.generate();
    script.get(0).put("sealing_kid", attacker.keyId()); // rewritten too, so only the org's statement disagrees
    SampleSession remade = SampleSession.write(tmp.resolve("remade"), script, attacker); // its own jwks.json

    Verdict v = verify(remade.dir, transit.keysResponse());

    assertThat(v.code()).isEqualTo(1);
    assertThat(v.err()).isEqualTo("invalid: signer: statement certifies evidence key " + key.keyId()
        + ", but the seal is by kid " + attacker.keyId() + " (re-signed with another key?)");
  }

  @Test
  void aStatementForAnotherSessionFails() throws Exception {
    SealingKey key = SealingKey.generate();
    SampleSession s = SampleSession.write(tmp.resolve("s"), certified(key, c -> c.put("session", "01jqotherotherother0"), 1), key);

    Verdict v = verify(s.dir, transit.keysResponse());

    assertThat(v.code()).isEqualTo(1);
    assertThat(v.err()).isEqualTo("invalid: signer: statement certifies session 01jqotherotherother0, not this bundle's"
        + " session " + SampleSession.SESSION);
  }

  @Test
  void anExpiredStatementFails() throws Exception {
    SealingKey key = SealingKey.generate();
    SampleSession s = SampleSession.write(tmp.resolve("s"), certified(key, c -> c.put("expires_at", "2026-11-27T10:00:05Z"), 1), key);

    Verdict v = verify(s.dir, transit.keysResponse());

    assertThat(v.code()).isEqualTo(1);
    assertThat(v.err()).isEqualTo("invalid: signer: statement expired at 2026-11-27T10:00:05Z, before the seal at"
        + " 2026-11-27T10:00:10Z");
  }

  @Test
  void afterRotationTheOldVersionStaysTrustedWhileInTheFileAndAnUnknownVersionFails() throws Exception {
    String onlyV1 = transit.keysResponse();
    transit.rotate();
    SealingKey old = SealingKey.generate();
    SampleSession byV1 = SampleSession.write(tmp.resolve("v1"), certified(old, c -> { }, 1), old);
    SealingKey fresh = SealingKey.generate();
    SampleSession byV2 = SampleSession.write(tmp.resolve("v2"), certified(fresh, c -> { }, 2), fresh);

    Verdict oldTrusted = verify(byV1.dir, transit.keysResponse());
    Verdict unknown = verify(byV2.dir, onlyV1);

    assertThat(oldTrusted.code()).as(oldTrusted.err()).isZero();
    assertThat(oldTrusted.out()).endsWith("key version 1 (--trusted-keys)");
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.err()).isEqualTo("invalid: signer: statement: signed by vault-transit:transit/taskbound-evidence"
        + " key version 2, which --trusted-keys does not hold (it holds version 1)");
  }

  @Test
  void aStatementSignedByAnotherKeyAndAMissingStatementFail() throws Exception {
    SealingKey key = SealingKey.generate();
    TransitStub impostor = new TransitStub();
    SampleSession forged = SampleSession.write(tmp.resolve("forged"), certified(key, c -> { }, 1), key);
    List<Map<String, Object>> bare = SampleSession.script();
    bare.get(0).put("sealing_kid", key.keyId());
    SampleSession missing = SampleSession.write(tmp.resolve("missing"), bare, key);

    Verdict f = verify(forged.dir, impostor.keysResponse());
    Verdict m = verify(missing.dir, transit.keysResponse());

    assertThat(f.code()).isEqualTo(1);
    assertThat(f.err()).isEqualTo("invalid: signer: statement: bad signature (not by vault-transit:transit/taskbound-evidence"
        + " key version 1)");
    assertThat(m.code()).isEqualTo(1);
    assertThat(m.err()).isEqualTo("invalid: signer: session.opened at line 1 holds no org-signed statement"
        + " (signer_statement), so --trusted-keys cannot vouch for kid " + key.keyId());
  }

  /** The claims the org signer certifies a recovery key with ({@code teardown --session} after a SIGKILL). */
  private static Map<String, Object> recoveryClaims(SealingKey fresh, String lostKid, String chainHead) {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("kid", fresh.keyId());
    claims.put("jwk", fresh.publicJwk());
    claims.put("task", SampleSession.TASK);
    claims.put("session", SampleSession.SESSION);
    claims.put("trust_domain", "acme.dev");
    claims.put("policy_digest", "sha256:0123456789ab");
    claims.put("issued_at", "2026-11-27T10:00:08Z");
    claims.put("expires_at", "2026-11-27T11:00:08Z");
    claims.put("recovery_of", new LinkedHashMap<>(Map.of("kid", lostKid, "chain_head", chainHead)));
    return claims;
  }

  /**
   * A session whose process died: its certified key {@code lost} sealed nothing; a recovery appended
   * {@code evidence.rekeyed} for {@code named} (with the statement {@code statementFor} makes from the
   * chain head, or none) and sealed with {@code sealer}. The first {@code keep} scripted events stay.
   */
  private SampleSession recovered(String name, SealingKey lost, SealingKey named, SealingKey sealer, int keep,
      java.util.function.Function<String, ObjectNode> statementFor) throws Exception {
    return recovered(name, lost, lost.keyId(), named, sealer, keep, statementFor);
  }

  /** As above, with the {@code previous_kid} the recovery names. */
  private SampleSession recovered(String name, SealingKey lost, String previousKid, SealingKey named, SealingKey sealer,
      int keep, java.util.function.Function<String, ObjectNode> statementFor) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(name));
    Path events = dir.resolve("events.jsonl");
    Path seal = dir.resolve("seal.json");
    try (EvidenceLog log = EvidenceLog.create(events, SampleSession.SESSION,
        SampleSession.steppingClock(java.time.Instant.parse("2026-11-27T10:00:00Z")))) {
      SampleSession.writeEvents(log, certified(lost, c -> { }, 1).subList(0, keep));
      String head = log.lastHash();
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("reason", "the session's evidence key lived only in the memory of its process, which is gone");
      if (previousKid != null) {
        data.put("previous_kid", previousKid);
      }
      data.put("kid", named.keyId());
      data.put("jwk", named.publicJwk());
      data.put("chain_head", head);
      ObjectNode statement = statementFor.apply(head);
      if (statement != null) {
        data.put("signer_statement", statement);
      }
      log.append("evidence.rekeyed", data);
      byte[] jwks = JwkSets.merge(lost.publicJwkSetJson(), sealer.publicJwkSetJson()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
      Files.write(dir.resolve("jwks.json"), jwks);
      Sealer.seal(log, sealer, seal, SampleSession.SEALED_AT, Map.of(Bundle.JWKS, jwks));
    }
    return SampleSession.at(dir, sealer);
  }

  private ObjectNode recoveryStatement(SealingKey fresh, String lostKid, String head, TransitStub by) {
    return KeyStatement.issue("vault-transit:transit/taskbound-evidence", recoveryClaims(fresh, lostKid, head),
        b -> by.sign(1, b));
  }

  private Verdict verify(Path bundle, String trustedKeys, String... more) throws Exception {
    Path keys = Files.writeString(tmp.resolve("trusted-" + System.nanoTime() + ".json"), trustedKeys);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> args = new java.util.ArrayList<>(List.of(bundle.toString(), "--trusted-keys", keys.toString()));
    args.addAll(List.of(more));
    int code = new CommandLine(new VerifyCommand()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
        .execute(args.toArray(String[]::new));
    return new Verdict(code, out.toString().strip(), err.toString().strip());
  }

  @Test
  void aRecoveryKeyTheOrgSignerCertifiedVerifiesAndVerifySaysWhatItVerified() throws Exception {
    SealingKey lost = SealingKey.generate();
    SealingKey fresh = SealingKey.generate();
    SampleSession s = recovered("certified", lost, fresh, fresh, 17, head -> recoveryStatement(fresh, lost.keyId(), head, transit));
    String head = s.lines().get(16).replaceFirst(".*\"hash\":\"(sha256:[0-9a-f]{64})\".*", "$1");

    Verdict v = verify(s.dir, transit.keysResponse(), "--expect-kid", lost.keyId());

    assertThat(v.code()).as(v.err()).isZero();
    assertThat(v.out()).contains("resealed by recovery key " + fresh.keyId())
        .contains("signer verified by org signer vault-transit:transit/taskbound-evidence key version 1 (--trusted-keys),"
            + " which certified recovery key " + fresh.keyId() + " to continue chain head " + head + " (line 17) of session "
            + SampleSession.SESSION + " after its key " + lost.keyId() + " was lost")
        .contains("the host record (--expect-kid " + lost.keyId() + ": the session's key, whose chain the certified"
            + " recovery key continues)");
  }

  /**
   * Review finding: verify printed a recovery's {@code previous_kid} as it stood; a forged recovery
   * made its {@code ok} line claim a verification that the exit code and stderr denied.
   */
  @Test
  void aRecoveryWhosePreviousKidIsNoKeyIdIsInvalidAndItsTextIsNotPrinted() throws Exception {
    SealingKey lost = SealingKey.generate();
    SealingKey fresh = SealingKey.generate();
    String claim = "K was lost) ; signer verified by the host record (--expect-kid K); (x";
    SampleSession s = recovered("previous-kid", lost, claim, fresh, fresh, 17, head -> null);

    Verdict v = verify(s.dir, transit.keysResponse());

    assertThat(v.code()).isEqualTo(1);
    assertThat(v.out()).isEmpty();
    assertThat(v.err()).isEqualTo("invalid: evidence.rekeyed at line 18: previous_kid " + claim
        + " is not a key id (43 base64url characters, the key's RFC 7638 thumbprint)");
  }

  /**
   * Review finding: a session whose process died before {@code session.opened} recorded its key has
   * no key to name; the recovery wrote {@code previous_kid: null}, which verify then refused as no
   * key id. Such a recovery names none, and is valid only while the chain has no session.opened.
   */
  @Test
  void aRecoveryNamesNoLostKeyOnlyWhenTheChainNeverRecordedOne() throws Exception {
    SealingKey lost = SealingKey.generate();
    SealingKey fresh = SealingKey.generate();
    SampleSession early = recovered("died-early", lost, null, fresh, fresh, 0, head -> null);
    SampleSession dropped = recovered("dropped", lost, null, fresh, fresh, 17, head -> null);

    Verdict v = verify(early.dir, transit.keysResponse());
    Verdict refused = verify(dropped.dir, transit.keysResponse());

    assertThat(v.code()).as(v.err()).isEqualTo(3); // valid, its signer unverified as for any uncertified recovery
    assertThat(v.out()).contains("resealed by recovery key " + fresh.keyId() + " (the session recorded no key before its"
        + " process died; linked at line 0");
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).startsWith("invalid: evidence.rekeyed at line 18: names no previous_kid, but the chain's"
        + " session.opened recorded the session's key");
  }

  @Test
  void aRecoveryKeyNobodyCertifiedIsNotVerifiedWithExitThree() throws Exception {
    SealingKey lost = SealingKey.generate();
    SealingKey fresh = SealingKey.generate();
    SampleSession s = recovered("uncertified", lost, fresh, fresh, 17, head -> null);

    Verdict v = verify(s.dir, transit.keysResponse());

    assertThat(v.code()).as(v.out()).isEqualTo(3);
    assertThat(v.out() + v.err()).contains("signer NOT verified").contains("the org signer did not certify recovery key "
        + fresh.keyId() + " (evidence.rekeyed at line 18 holds no signer_statement)");
  }

  @Test
  void forgedRekeysFailAndNameWhatFailed() throws Exception {
    SealingKey lost = SealingKey.generate();
    SealingKey genuine = SealingKey.generate();
    SealingKey attacker = SealingKey.generate();
    TransitStub impostor = new TransitStub();
    String cut = "sha256:" + "ab".repeat(32);
    Map<String, SampleSession> rows = new LinkedHashMap<>();
    // The events from the egress.denied on cut off, a recovery appended and sealed with the attacker's key.
    rows.put("a genuine recovery statement reused for the attacker's key", recovered("reused", lost, attacker, attacker, 8,
        head -> recoveryStatement(genuine, lost.keyId(), head, transit)));
    rows.put("a statement signed by another Transit key", recovered("impostor", lost, attacker, attacker, 8,
        head -> recoveryStatement(attacker, lost.keyId(), head, impostor)));
    rows.put("a statement certifying another chain head", recovered("head", lost, attacker, attacker, 8,
        head -> recoveryStatement(attacker, lost.keyId(), cut, transit)));
    rows.put("a statement recovering another session's key", recovered("other-kid", lost, attacker, attacker, 8,
        head -> recoveryStatement(attacker, genuine.keyId(), head, transit)));
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("a genuine recovery statement reused for the attacker's key", "invalid: signer: statement certifies"
        + " evidence key " + genuine.keyId() + ", but the seal is by kid " + attacker.keyId() + " (re-signed with another key?)");
    expected.put("a statement signed by another Transit key", "invalid: signer: statement: bad signature (not by"
        + " vault-transit:transit/taskbound-evidence key version 1)");
    expected.put("a statement certifying another chain head", "invalid: signer: statement for recovery key "
        + attacker.keyId() + " does not name the chain head " + rows.get("a statement certifying another chain head")
        .lines().get(8).replaceFirst(".*\"prev\":\"(sha256:[0-9a-f]{64})\".*", "$1") + " it continues");
    expected.put("a statement recovering another session's key", "invalid: signer: statement for recovery key "
        + attacker.keyId() + " recovers key " + genuine.keyId() + ", not the lost key " + lost.keyId()
        + " the evidence.rekeyed event names");

    for (Map.Entry<String, SampleSession> row : rows.entrySet()) {
      Verdict v = verify(row.getValue().dir, transit.keysResponse());

      assertThat(v.code()).as(row.getKey()).isEqualTo(1);
      assertThat(v.err()).as(row.getKey()).isEqualTo(expected.get(row.getKey()));
    }
  }
}
