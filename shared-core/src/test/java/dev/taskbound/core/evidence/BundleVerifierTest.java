package dev.taskbound.core.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleVerifierTest {
  @TempDir Path tmp;

  @Test
  void acceptsAnIntactZipBundleAndNamesTheSealingKey() throws Exception {
    SampleSession s = SampleSession.write(tmp.resolve("session"));
    Path zip = s.zip(tmp.resolve("bundle.zip"));

    VerificationResult result = BundleVerifier.verify(zip);

    assertThat(result.valid()).isTrue();
    assertThat(result.events()).isEqualTo(17);
    assertThat(result.firstBadLine()).isEmpty();
    assertThat(result.message()).isEqualTo("ok: 17 events, sealed by kid " + s.key.keyId() + " (key from the bundle)");
    try (ZipFile z = new ZipFile(zip.toFile())) {
      assertThat(Collections.list(z.entries()).stream().map(e -> e.getName()))
          .containsExactly("events.jsonl", "seal.json", "jwks.json", "effective-policy.json", "identity.json",
              "teardown.json", "summary.md", "report.html");
    }
  }

  @Test
  void entryTimesAreInUtcWhateverTheHostsZone() throws Exception {
    SampleSession s = SampleSession.write(tmp.resolve("session"));
    java.util.TimeZone hostZone = java.util.TimeZone.getDefault();
    Path zip;
    java.time.LocalDateTime before = java.time.LocalDateTime.now(java.time.ZoneOffset.UTC);
    try {
      java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("Pacific/Kiritimati")); // UTC+14
      zip = s.zip(tmp.resolve("bundle.zip"));
    } finally {
      java.util.TimeZone.setDefault(hostZone);
    }
    java.time.LocalDateTime after = java.time.LocalDateTime.now(java.time.ZoneOffset.UTC);

    try (ZipFile z = new ZipFile(zip.toFile())) {
      assertThat(Collections.list(z.entries())).isNotEmpty().allSatisfy(e -> assertThat(e.getTimeLocal())
          .isBetween(before.minusSeconds(2), after.plusSeconds(2))); // a zip's times are to 2 s
    }
  }

  @Test
  void acceptsAnIntactDirectoryBundleAgainstATrustedJwks() {
    SampleSession s = SampleSession.write(tmp);

    VerificationResult result = BundleVerifier.verify(tmp, s.key.publicJwkSetJson());

    assertThat(result.valid()).isTrue();
    assertThat(result.message()).isEqualTo("ok: 17 events, sealed by kid " + s.key.keyId() + " (trusted JWKS)");
  }

  @Test
  void detectsAnEditedLine() throws Exception {
    SampleSession s = SampleSession.write(tmp);
    List<String> lines = s.lines();
    lines.set(6, lines.get(6).replace("registry.npmjs.org", "registry.npmjs.com"));
    s.writeLines(lines);

    VerificationResult result = BundleVerifier.verify(tmp);

    assertThat(result).isEqualTo(new VerificationResult(false, 17, OptionalLong.of(7), "line 7: hash mismatch (edited?)"));
  }

  /** The hash covers what a line parses to: anything else in the line would ride along unhashed (review finding). */
  @Test
  void detectsTextAfterALineARepeatedKeyAndARespacedLine() throws Exception {
    SampleSession s = SampleSession.write(tmp);
    List<String> intact = s.lines();
    String line4 = intact.get(3);
    List<String> edits = List.of(
        line4 + " {\"type\":\"egress.allowed\",\"data\":{\"host\":\"exfil.example\"}}",
        line4.replaceFirst("^\\{", "{\"type\":\"egress.allowed\","),
        line4.replaceFirst("^\\{\"", "{ \""));

    for (String edited : edits) {
      List<String> lines = new java.util.ArrayList<>(intact);
      lines.set(3, edited);
      s.writeLines(lines);

      VerificationResult result = BundleVerifier.verify(tmp);

      assertThat(result.valid()).as(edited).isFalse();
      assertThat(result.firstBadLine()).hasValue(4);
      assertThat(result.message()).startsWith("line 4: not in canonical form");
    }
    s.writeLines(intact);
    assertThat(BundleVerifier.verify(tmp).valid()).as("the control").isTrue();
  }

  @Test
  void detectsADeletedLine() throws Exception {
    SampleSession s = SampleSession.write(tmp);
    List<String> lines = s.lines();
    lines.remove(4);
    s.writeLines(lines);

    VerificationResult result = BundleVerifier.verify(tmp);

    assertThat(result).isEqualTo(new VerificationResult(false, 16, OptionalLong.of(5), "line 5: prev does not match line 4 (deleted or reordered?)"));
  }

  @Test
  void detectsTwoReorderedLines() throws Exception {
    SampleSession s = SampleSession.write(tmp);
    List<String> lines = s.lines();
    Collections.swap(lines, 9, 10);
    s.writeLines(lines);

    VerificationResult result = BundleVerifier.verify(tmp);

    assertThat(result).isEqualTo(new VerificationResult(false, 17, OptionalLong.of(10), "line 10: prev does not match line 9 (deleted or reordered?)"));
  }

  @Test
  void detectsACorrectlyChainedLineAppendedAfterSealing() {
    SampleSession s = SampleSession.write(tmp);
    try (EvidenceLog log = EvidenceLog.resume(s.events, SampleSession.SESSION, Clock.systemUTC())) {
      log.append("egress.allowed", Map.of("host", "exfil.example.net", "port", 443));
    }

    VerificationResult result = BundleVerifier.verify(tmp);

    assertThat(result).isEqualTo(new VerificationResult(false, 18, OptionalLong.of(18), "seal: count 17 but bundle has 18 lines (appended?)"));
  }

  @Test
  void detectsTruncatedEvents() throws Exception {
    SampleSession s = SampleSession.write(tmp);
    List<String> lines = s.lines();
    s.writeLines(lines.subList(0, 15));

    VerificationResult result = BundleVerifier.verify(tmp);

    assertThat(result).isEqualTo(new VerificationResult(false, 15, OptionalLong.of(16), "seal: count 17 but bundle has 15 lines (truncated?)"));
  }

  @Test
  void detectsALastLineCutMidway() throws Exception {
    SampleSession s = SampleSession.write(tmp);
    byte[] bytes = Files.readAllBytes(s.events);
    Files.write(s.events, Arrays.copyOf(bytes, bytes.length - 20));

    VerificationResult result = BundleVerifier.verify(tmp);

    assertThat(result).isEqualTo(new VerificationResult(false, 17, OptionalLong.of(17), "line 17: incomplete line (no trailing newline; torn or truncated?)"));
  }

  @Test
  void detectsALineEditedAndTheChainRebuiltAfterIt() throws Exception {
    // The attacker rewrites the whole chain from an edited line onwards but cannot re-sign the seal.
    SampleSession s = SampleSession.write(tmp.resolve("original"));
    List<Map<String, Object>> edited = SampleSession.script();
    edited.set(8, SampleSession.event("egress.allowed", "host", "evil.example.com", "port", 443));
    SampleSession forged = SampleSession.write(tmp.resolve("forged"), edited, SealingKey.generate());
    Files.copy(forged.events, s.events, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    VerificationResult result = BundleVerifier.verify(s.dir);

    assertThat(result).isEqualTo(new VerificationResult(false, 17, OptionalLong.of(17), "seal: final hash does not match line 17 (edited and re-chained?)"));
  }

  @Test
  void detectsABadSealSignature() throws Exception {
    SampleSession s = SampleSession.write(tmp);
    ObjectNode seal = (ObjectNode) CanonicalJson.MAPPER.readTree(s.seal.toFile());
    String jws = seal.get("jws").asText();
    char last = jws.charAt(jws.length() - 5);
    seal.put("jws", jws.substring(0, jws.length() - 5) + (last == 'A' ? 'B' : 'A') + jws.substring(jws.length() - 4));
    CanonicalJson.MAPPER.writeValue(s.seal.toFile(), seal);

    VerificationResult result = BundleVerifier.verify(tmp);

    assertThat(result).isEqualTo(new VerificationResult(false, 17, OptionalLong.empty(), "seal: bad signature"));
  }

  @Test
  void detectsASealMadeWithAnotherKey() {
    SampleSession s = SampleSession.write(tmp);
    SealingKey other = SealingKey.generate();
    try (EvidenceLog log = EvidenceLog.resume(s.events, SampleSession.SESSION, Clock.systemUTC())) {
      Sealer.seal(log, other, s.seal);
    }

    VerificationResult result = BundleVerifier.verify(tmp);

    assertThat(result).isEqualTo(new VerificationResult(false, 17, OptionalLong.empty(),
        "seal: kid " + other.keyId() + " is not in the bundle's jwks.json"));
  }

  @Test
  void detectsASealMadeWithAnotherKeyUnderTheBundlesKid() throws Exception {
    SampleSession s = SampleSession.write(tmp);
    SealingKey other = SealingKey.generate();
    ObjectNode seal = (ObjectNode) CanonicalJson.MAPPER.readTree(s.seal.toFile());
    JWSObject original = JWSObject.parse(seal.get("jws").asText());
    JWSObject forged = new JWSObject(
        new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(s.key.keyId()).type(new JOSEObjectType(Sealer.TYPE)).build(),
        new Payload(original.getPayload().toBytes()));
    forged.sign(new ECDSASigner(other.privateKey()));
    seal.put("jws", forged.serialize());
    CanonicalJson.MAPPER.writeValue(s.seal.toFile(), seal);

    VerificationResult result = BundleVerifier.verify(tmp);

    assertThat(result).isEqualTo(new VerificationResult(false, 17, OptionalLong.empty(), "seal: bad signature"));
  }

  @Test
  void aBundleRemadeWithANewKeyPassesOnItsOwnKeyButNotAgainstTheTrustedJwks() throws Exception {
    SampleSession s = SampleSession.write(tmp.resolve("original"));
    List<Map<String, Object>> edited = SampleSession.script();
    edited.remove(9);
    SampleSession remade = SampleSession.write(tmp.resolve("remade"), edited, SealingKey.generate());

    VerificationResult own = BundleVerifier.verify(remade.dir);
    VerificationResult trusted = BundleVerifier.verify(remade.dir, s.key.publicJwkSetJson());

    assertThat(own.valid()).isTrue();
    assertThat(trusted).isEqualTo(new VerificationResult(false, 16, OptionalLong.empty(),
        "seal: kid " + remade.key.keyId() + " is not in the trusted JWKS"));
  }

  @Test
  void reportsAMissingSeal() throws Exception {
    SampleSession s = SampleSession.write(tmp);
    Files.delete(s.seal);

    VerificationResult result = BundleVerifier.verify(tmp);

    assertThat(result.valid()).isFalse();
    assertThat(result.message()).isEqualTo("seal: seal.json is missing from the bundle (never sealed, or removed?)");
  }

  /** Readers differ on which of two same-named members they show: verify saw the genuine events, unzip the forged too. */
  @Test
  void refusesAZipThatHoldsAMemberTwice() throws Exception {
    // written under another name first, renamed below: a writer refuses a name twice
    Path zip = sampleRewritten("twice.zip", Map.of("events.jsonX", FORGED), UnaryOperator.identity(), Map.of());
    String latin1 = new String(Files.readAllBytes(zip), java.nio.charset.StandardCharsets.ISO_8859_1);
    Files.write(zip, latin1.replace("events.jsonX", "events.jsonl").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));

    assertThatThrownBy(() -> BundleVerifier.verify(zip))
        .isExactlyInstanceOf(EvidenceException.class)
        .hasMessageContaining("member 'events.jsonl' appears twice");
  }

  @Test
  void refusesAZipThatHoldsAMemberAgainUnderAnAliasAnExtractorWouldMerge() throws Exception {
    for (String alias : List.of("./events.jsonl", "/events.jsonl", "EVENTS.JSONL", ".\\events.jsonl", "zz.txt")) {
      Path zip = sampleRewritten("alias.zip", Map.of(), UnaryOperator.identity(), Map.of(alias, FORGED));

      assertThatThrownBy(() -> BundleVerifier.verify(zip)).as(alias).hasMessageContaining("is not one a bundle holds");
    }
  }

  /** unzip writes a member whose Unicode Path extra field names events.jsonl to events.jsonl; verify read it as zz.txt. */
  @Test
  void refusesAMemberThatAnExtraFieldRenamesForExtractors() throws Exception {
    Path zip = sampleRewritten("renamed.zip", Map.of(), entry -> {
      if (entry.getName().equals("report.html")) {
        byte[] name = "events.jsonl".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer extra = java.nio.ByteBuffer.allocate(4 + 5 + name.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        extra.putShort((short) 0x7075).putShort((short) (5 + name.length)).put((byte) 1).putInt(0).put(name);
        entry.setExtra(extra.array());
      }
      return entry;
    }, Map.of());

    assertThatThrownBy(() -> BundleVerifier.verify(zip)).hasMessageContaining("member 'report.html' is not one a bundle holds");
  }

  private static final String FORGED = "{\"forged\":true}\n";

  /** The sample bundle copied into {@code name}: {@code first}'s members, each genuine one as {@code entry} makes it, {@code last}'s. */
  private Path sampleRewritten(String name, Map<String, String> first, UnaryOperator<java.util.zip.ZipEntry> entry,
      Map<String, String> last) throws java.io.IOException {
    Path dir = Files.createTempDirectory(tmp, "sample");
    SampleSession s = SampleSession.write(dir.resolve("session"));
    Path zip = dir.resolve(name);
    try (java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip));
        ZipFile genuine = new ZipFile(s.zip(dir.resolve("bundle.zip")).toFile())) {
      for (Map.Entry<String, String> m : first.entrySet()) {
        out.putNextEntry(new java.util.zip.ZipEntry(m.getKey()));
        out.write(m.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      for (var e : Collections.list(genuine.entries())) {
        out.putNextEntry(entry.apply(new java.util.zip.ZipEntry(e.getName())));
        out.write(genuine.getInputStream(e).readAllBytes());
      }
      for (Map.Entry<String, String> m : last.entrySet()) {
        out.putNextEntry(new java.util.zip.ZipEntry(m.getKey()));
        out.write(m.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    return zip;
  }

  /** A 250 KB zip of 250 MiB of newlines filled the heap before the first line was judged (exit 128). */
  @Test
  void millionsOfEmptyLinesStopAtTheFirstWithoutBeingKept() throws Exception {
    SampleSession s = SampleSession.write(tmp);
    List<String> lines = new java.util.ArrayList<>(s.lines());
    lines.addAll(3, Collections.nCopies(5_000_000, ""));
    s.writeLines(lines);

    VerificationResult result = BundleVerifier.verify(tmp);

    assertThat(result.valid()).isFalse();
    assertThat(result.message()).isEqualTo("line 4: empty line");
    assertThat(result.events()).as("what was read up to the first line no event can be").isEqualTo(4);
  }

  @Test
  void refusesAnUnreadableBundle() throws Exception {
    SampleSession s = SampleSession.write(tmp.resolve("session"));
    Path zip = s.zip(tmp.resolve("bundle.zip"));
    byte[] bytes = Files.readAllBytes(zip);
    Path cut = tmp.resolve("cut.zip");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));

    assertThatThrownBy(() -> BundleVerifier.verify(cut))
        .isExactlyInstanceOf(EvidenceException.class)
        .hasMessageStartingWith("cannot read bundle " + cut + " (expected a zip file or a directory)");
    assertThatThrownBy(() -> BundleVerifier.verify(tmp.resolve("absent.zip")))
        .isExactlyInstanceOf(EvidenceException.class)
        .hasMessage("bundle " + tmp.resolve("absent.zip") + " does not exist");
  }
}
