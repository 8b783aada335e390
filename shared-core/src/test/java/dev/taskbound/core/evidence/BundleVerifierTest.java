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
    assertThat(result.message()).isEqualTo("ok: 17 events, sealed by kid " + s.key.keyId() + " (key from the bundle)" + "; session " + SampleSession.SESSION + ", task " + SampleSession.TASK);
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
    assertThat(result.message()).isEqualTo("ok: 17 events, sealed by kid " + s.key.keyId() + " (trusted JWKS)" + "; session " + SampleSession.SESSION + ", task " + SampleSession.TASK);
  }

  @Test
  void aDirectoryBundleWithAFileOrLinkNoBundleHoldsIsRefusedAsAZipWithOneWouldBe() throws Exception {
    SampleSession s = SampleSession.write(tmp.resolve("page"));
    Files.writeString(tmp.resolve("page/README-verified.html"), "<h1>All clear, verified</h1>");
    SampleSession.write(tmp.resolve("link"));
    Files.deleteIfExists(tmp.resolve("link/summary.md"));
    Files.createSymbolicLink(tmp.resolve("link/summary.md"), Path.of("/etc/hostname"));

    assertThatThrownBy(() -> BundleVerifier.verify(tmp.resolve("page"), s.key.publicJwkSetJson()))
        .isInstanceOf(EvidenceException.class)
        .hasMessageContaining("'README-verified.html' is not a member a bundle holds, as a plain file");
    assertThatThrownBy(() -> BundleVerifier.verify(tmp.resolve("link")))
        .isInstanceOf(EvidenceException.class)
        .hasMessageContaining("'summary.md' is not a member a bundle holds, as a plain file (not a link");
    // a folder Finder showed: its .DS_Store is ignored
    SampleSession shown = SampleSession.write(tmp.resolve("shown"));
    Files.writeString(tmp.resolve("shown/.DS_Store"), "Bud1");
    assertThat(BundleVerifier.verify(tmp.resolve("shown"), shown.key.publicJwkSetJson()).valid()).isTrue();
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

  /**
   * Review finding: events.jsonl was decoded with replacement characters, so a lone 0xFF put where a
   * line held U+FFFD (EF BF BD) read as the same text and the line's hash still matched.
   */
  @Test
  void detectsALineThatIsNotValidUtf8() throws Exception {
    List<Map<String, Object>> script = SampleSession.script();
    script.set(10, SampleSession.event("vendor.custom_thing", "note", "shown as \ufffd by a lenient decoder"));
    SampleSession s = SampleSession.write(tmp, script, SealingKey.generate());
    byte[] intact = Files.readAllBytes(s.events);
    String latin1 = new String(intact, java.nio.charset.StandardCharsets.ISO_8859_1);
    int at = latin1.indexOf("\u00ef\u00bf\u00bd");
    byte[] edited = concat(Arrays.copyOf(intact, at + 1), Arrays.copyOfRange(intact, at + 3, intact.length));
    edited[at] = (byte) 0xff;
    assertThat(BundleVerifier.verify(tmp).valid()).as("the control").isTrue();
    Files.write(s.events, edited);

    VerificationResult result = BundleVerifier.verify(tmp);

    assertThat(result).isEqualTo(new VerificationResult(false, 11, OptionalLong.of(11), "line 11: not valid UTF-8 (edited?)"));
    assertThatThrownBy(() -> EvidenceLog.read(s.events)).isExactlyInstanceOf(EvidenceException.class)
        .hasMessage(s.events + ": line 11: not valid UTF-8 (edited?)");
  }

  /**
   * Review finding: verify's ok line printed the chain's task as it stood; a bundle sealed by a key
   * of its own could make the line claim a verification ("signer verified by the host record")
   * that stderr and the exit code denied. A task or session Taskbound never gives is invalid.
   */
  @Test
  void aTaskThatIsNoTaskIdIsInvalidAndNotPrintedAsVerified() throws Exception {
    List<Map<String, Object>> script = SampleSession.script();
    script.set(0, SampleSession.event("session.opened", "task", "KB-1; signer verified by the host record (--expect-kid K)",
        "session", SampleSession.SESSION, "backend", "netns"));
    SampleSession.write(tmp, script, SealingKey.generate());

    VerificationResult result = BundleVerifier.verify(tmp);

    assertThat(result.valid()).isFalse();
    assertThat(result.message()).startsWith("the chain's task is not a name Taskbound gives: task id"
        + " 'KB-1; signer verified by the host record (--expect-kid K)' has character");
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
      Sealer.seal(log, other, s.seal, Map.of());
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

    assertThatThrownBy(() -> BundleVerifier.verify(zip)).hasMessageContaining("an entry of its central directory has an extra field");
  }

  /**
   * Python's zipfile read a zip64 end record hidden in a central entry's extra field and showed a
   * second directory; a streaming reader takes an entry hidden between the last member and the
   * directory; a comment that is no UTF-8 made ZipFile throw what verify did not catch (exit 128).
   */
  @Test
  void refusesAZipWithAnythingHiddenInItsDirectoryOrBetweenItsEntries() throws Exception {
    Path commented = sampleRewritten("commented.zip", Map.of(), entry -> {
      if (entry.getName().equals("summary.md")) {
        entry.setComment("x");
      }
      return entry;
    }, Map.of());
    byte[] bytes = Files.readAllBytes(sampleRewritten("gap.zip", Map.of(), UnaryOperator.identity(), Map.of()));
    java.nio.ByteBuffer end = java.nio.ByteBuffer.wrap(bytes, bytes.length - 22, 22).slice().order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int directory = end.getInt(16);
    byte[] hidden = "PK\u0003\u0004 a hidden entry".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    byte[] gap = concat(concat(Arrays.copyOf(bytes, directory), hidden), Arrays.copyOfRange(bytes, directory, bytes.length));
    java.nio.ByteBuffer.wrap(gap).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(gap.length - 22 + 16, directory + hidden.length);
    Path withGap = Files.write(tmp.resolve("with-gap.zip"), gap);

    assertThatThrownBy(() -> BundleVerifier.verify(commented)).isExactlyInstanceOf(EvidenceException.class)
        .hasMessageContaining("an entry of its central directory has an extra field or a comment");
    assertThatThrownBy(() -> BundleVerifier.verify(withGap)).isExactlyInstanceOf(EvidenceException.class)
        .hasMessageContaining("its entries do not follow one another up to its central directory");
  }

  /** A Unix mode in an entry's attributes made unzip extract summary.md as a symbolic link, with the same verified bytes. */
  @Test
  void refusesAnEntryWithAFileModeAnExtractorWouldApply() throws Exception {
    byte[] bytes = Files.readAllBytes(sampleRewritten("mode.zip", Map.of(), UnaryOperator.identity(), Map.of()));
    int central = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).lastIndexOf("PK\u0001\u0002");
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.putShort(central + 4, (short) (3 << 8 | 20)); // made on Unix
    b.putInt(central + 38, 0120777 << 16); // a symbolic link
    Path zip = Files.write(tmp.resolve("mode.zip"), bytes);

    assertThatThrownBy(() -> BundleVerifier.verify(zip)).isExactlyInstanceOf(EvidenceException.class)
        .hasMessageContaining("an entry of its central directory has file attributes a bundle's never has");
  }

  /** Bytes hidden behind a size only the central directory makes larger (a reader scanning for headers found them). */
  @Test
  void refusesAnEntryWhoseCentralSizeIsNotItsOwn() throws Exception {
    byte[] bytes = Files.readAllBytes(sampleRewritten("sizes.zip", Map.of(), UnaryOperator.identity(), Map.of()));
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int directory = b.getInt(bytes.length - 22 + 16);
    int last = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).lastIndexOf("PK\u0001\u0002");
    int local = b.getInt(last + 42);
    int dataEnd = local + 30 + (b.getShort(local + 26) & 0xffff) + b.getInt(last + 20);
    byte[] grown = concat(concat(Arrays.copyOf(bytes, dataEnd), new byte[] {'x'}), Arrays.copyOfRange(bytes, dataEnd, bytes.length));
    java.nio.ByteBuffer g = java.nio.ByteBuffer.wrap(grown).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    g.putInt(last + 1 + 20, b.getInt(last + 20) + 1); // the central entry (one byte later now) claims the byte
    g.putInt(grown.length - 22 + 16, directory + 1);
    Path zip = Files.write(tmp.resolve("grown.zip"), grown);

    assertThatThrownBy(() -> BundleVerifier.verify(zip)).isExactlyInstanceOf(EvidenceException.class)
        .hasMessageContaining("an entry's data descriptor gives other sizes than its central entry");
  }

  private static final String FORGED = "{\"forged\":true}\n";

  /**
   * The summary, report and teardown report were outside the seal: a bundle whose summary said
   * "nothing denied" after sealing verified ok, and the Jenkins build page reads its outcome there.
   */
  @Test
  void detectsAMemberEditedAfterSealing() throws Exception {
    for (String member : List.of("summary.md", "report.html", "teardown.json", "effective-policy.json", "identity.json", "jwks.json")) {
      Path zip = sampleRewritten("edited.zip", Map.of(), UnaryOperator.identity(),
          (name, bytes) -> name.equals(member) ? edited((byte[]) bytes) : bytes, Map.of());

      VerificationResult result = BundleVerifier.verify(zip);

      assertThat(result.message()).as(member)
          .isEqualTo("seal: member " + member + " does not match its digest in the seal (edited after sealing?)");
      assertThat(result.valid()).isFalse();
    }
  }

  @Test
  void detectsAMemberRemovedOrAddedAfterSealing() throws Exception {
    Path removed = sampleRewritten("removed.zip", Map.of(), UnaryOperator.identity(),
        (name, bytes) -> name.equals("report.html") ? null : bytes, Map.of());
    Path added = sampleRewritten("added.zip", Map.of(), UnaryOperator.identity(), Map.of("signer-statement.json", "{}"));

    assertThat(BundleVerifier.verify(removed).message())
        .isEqualTo("seal: member 'report.html' is in the seal but missing from the bundle (removed after sealing?)");
    assertThat(BundleVerifier.verify(added).message())
        .isEqualTo("seal: member signer-statement.json is not in the seal (added after sealing?)");
  }

  @Test
  void anUnpackedBundleIsCheckedMemberByMember() throws Exception {
    SampleSession s = SampleSession.write(tmp.resolve("session"));
    Path unpacked = Files.createDirectories(tmp.resolve("unpacked"));
    try (ZipFile z = new ZipFile(s.zip(tmp.resolve("bundle.zip")).toFile())) {
      for (var e : Collections.list(z.entries())) {
        Files.write(unpacked.resolve(e.getName()), z.getInputStream(e).readAllBytes());
      }
    }
    assertThat(BundleVerifier.verify(unpacked).valid()).isTrue();

    Files.writeString(unpacked.resolve("summary.md"), "# Nothing was denied\n");

    assertThat(BundleVerifier.verify(unpacked).message())
        .isEqualTo("seal: member summary.md does not match its digest in the seal (edited after sealing?)");
  }

  /** Bundles written before seals covered the other members still verify, and verify says what they do not cover. */
  @Test
  void aBundleSealedBeforeMembersWereSealedVerifiesAndSaysTheyAreNot() throws Exception {
    Path zip = tmp.resolve("old.zip");
    try (var in = BundleVerifierTest.class.getResourceAsStream("sealed-before-members.zip")) {
      Files.copy(in, zip);
    }

    VerificationResult result = BundleVerifier.verify(zip, TrustAnchors.none().expectKid("Ysb6n14ROvHmmu_ftoYfmRkk9AK_hO3gTOsKmJJM_FQ"));

    assertThat(result.valid()).isTrue();
    assertThat(result.signerVerified()).isTrue();
    assertThat(result.message()).startsWith("ok: 13 events, sealed by kid Ysb6n14ROvHmmu_ftoYfmRkk9AK_hO3gTOsKmJJM_FQ"
        + " (key from the bundle); its other members (summary, report, policy, teardown) are outside the seal (seal format v1)"
        + "; session ");
  }

  /**
   * Review finding: an org key (or a JWK Set of several sessions' keys) verifies any of their
   * bundles, and verify never said which session it had verified: an earlier, harmless run's bundle
   * passed for this one. verify names the session and task, and --expect-session holds it to one.
   */
  @Test
  void aBundleOfAnotherSessionThanTheExpectedOneIsInvalid() {
    SampleSession s = SampleSession.write(tmp.resolve("session"));
    Path zip = s.zip(tmp.resolve("bundle.zip"));
    TrustAnchors byKid = TrustAnchors.none().expectKid(s.key.keyId());

    VerificationResult other = BundleVerifier.verify(zip, byKid.expectSession("01m98other0000000000"));
    VerificationResult same = BundleVerifier.verify(zip, byKid.expectSession(SampleSession.SESSION));

    assertThat(other.valid()).isFalse();
    assertThat(other.message()).isEqualTo("the bundle is of session " + SampleSession.SESSION + " (task "
        + SampleSession.TASK + "), not of the expected session 01m98other0000000000 (--expect-session)");
    assertThat(same.valid()).isTrue();
    assertThat(same.signerVerified()).isTrue();
    assertThat(same.message()).endsWith("; session " + SampleSession.SESSION + ", task " + SampleSession.TASK);
    assertThatThrownBy(() -> TrustAnchors.none().expectSession("../x")).isInstanceOf(EvidenceException.class)
        .hasMessageStartingWith("--expect-session '../x' is not a session id");
  }

  /**
   * The JDK's ZipFile reads a zip from its end record and skips data before it; unzip and Python
   * follow a second directory hidden in the comment; streaming readers start at the first byte.
   * Each of these showed a forged summary while verify said ok.
   */
  @Test
  void refusesAZipWithDataBeforeAfterOrInItsComment() throws Exception {
    Path genuine = sampleRewritten("genuine.zip", Map.of(), UnaryOperator.identity(), Map.of());
    byte[] bytes = Files.readAllBytes(genuine);
    byte[] forged = Files.readAllBytes(sampleRewritten("forged.zip", Map.of(), UnaryOperator.identity(),
        (name, b) -> name.equals("summary.md") ? "# nothing denied\n".getBytes(java.nio.charset.StandardCharsets.UTF_8) : b,
        Map.of()));
    Path before = Files.write(tmp.resolve("before.zip"), concat(forged, bytes));
    Path junk = Files.write(tmp.resolve("junk.zip"), concat("#!/bin/sh\nexit 0\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), bytes));
    Path after = Files.write(tmp.resolve("after.zip"), concat(bytes, "\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    Path twoZips = Files.write(tmp.resolve("two.zip"), concat(bytes, forged));
    byte[] commented = concat(bytes, forged);
    int commentLength = bytes.length - 2; // the end record's comment length field
    commented[commentLength] = (byte) forged.length;
    commented[commentLength + 1] = (byte) (forged.length >> 8);
    Path hidden = Files.write(tmp.resolve("hidden.zip"), commented); // a second directory in the comment
    byte[] plain = concat(bytes, "hello".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    plain[commentLength] = 5;
    Path comment = Files.write(tmp.resolve("comment.zip"), plain);
    assertThat(BundleVerifier.verify(genuine).valid()).isTrue();

    assertThatThrownBy(() -> BundleVerifier.verify(junk)).isExactlyInstanceOf(EvidenceException.class)
        .hasMessageContaining("it does not start with its first member (data before the zip?)");
    for (Path zip : List.of(before, twoZips, hidden)) {
      assertThatThrownBy(() -> BundleVerifier.verify(zip)).as(zip.toString()).isExactlyInstanceOf(EvidenceException.class)
          .hasMessageContaining("its central directory does not end where its end record begins");
    }
    assertThatThrownBy(() -> BundleVerifier.verify(after)).isExactlyInstanceOf(EvidenceException.class)
        .hasMessageContaining("it does not end with its end record (a zip comment, or data after the zip?)");
    assertThatThrownBy(() -> BundleVerifier.verify(comment)).isExactlyInstanceOf(EvidenceException.class)
        .hasMessageContaining("it does not end with its end record");
  }

  /** A streaming reader takes each entry's own header; the central directory may name another. */
  @Test
  void refusesAZipWhoseEntriesDifferFromItsCentralDirectory() throws Exception {
    Path zip = sampleRewritten("local.zip", Map.of(), UnaryOperator.identity(), Map.of());
    byte[] bytes = Files.readAllBytes(zip);
    String latin1 = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
    int local = latin1.indexOf("summary.md"); // the first: the entry's own header, before the directory
    bytes[local + "summary.m".length()] = 'X';
    Files.write(zip, bytes);

    assertThatThrownBy(() -> BundleVerifier.verify(zip)).isExactlyInstanceOf(EvidenceException.class)
        .hasMessageContaining("its entries differ from its central directory");
  }

  @Test
  void detectsASealWhoseReadableCopyIsNotItsSignedPayload() throws Exception {
    SampleSession s = SampleSession.write(tmp);
    ObjectNode seal = (ObjectNode) CanonicalJson.MAPPER.readTree(s.seal.toFile());
    seal.put("sealed_at", "2020-01-01T00:00:00.000Z");
    CanonicalJson.MAPPER.writeValue(s.seal.toFile(), seal);

    assertThat(BundleVerifier.verify(tmp).message()).isEqualTo("seal: seal.json's readable 'sealed_at' differs from its signed payload");

    seal.remove("sealed_at");
    seal.put("format", "taskbound-seal/v1");
    CanonicalJson.MAPPER.writeValue(s.seal.toFile(), seal);

    assertThat(BundleVerifier.verify(tmp).message()).isEqualTo("seal: seal.json's format is not taskbound-seal/v2, which its signed payload is");
  }

  /**
   * Review finding: Jackson kept a repeated key's last value and ignored text after the object, so a
   * seal.json whose first count and time were forged, or with another object after it, verified.
   */
  @Test
  void detectsASealWithARepeatedKeyOrTextAfterItsObject() throws Exception {
    SampleSession s = SampleSession.write(tmp);
    String intact = Files.readString(s.seal);
    List<String> edits = List.of(
        intact.replaceFirst("\\{", "{\"count\":999,\"sealed_at\":\"1999-01-01T00:00:00.000Z\","),
        intact + "{\"count\":999}\n",
        intact + "junk");

    for (String edited : edits) {
      Files.writeString(s.seal, edited);

      VerificationResult result = BundleVerifier.verify(tmp);

      assertThat(result).as(edited).isEqualTo(new VerificationResult(false, 17, OptionalLong.empty(), "seal: seal.json is not"
          + " one JSON object with each key given once (a repeated key, text after the object, or no JSON: edited?)"));
    }
    Files.writeString(s.seal, intact);
    assertThat(BundleVerifier.verify(tmp).valid()).as("the control").isTrue();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }

  private static byte[] edited(byte[] bytes) {
    byte[] copy = Arrays.copyOf(bytes, bytes.length + 1);
    copy[bytes.length] = ' ';
    return copy;
  }

  /** The sample bundle copied into {@code name}: {@code first}'s members, each genuine one as {@code entry} makes it, {@code last}'s. */
  private Path sampleRewritten(String name, Map<String, String> first, UnaryOperator<java.util.zip.ZipEntry> entry,
      Map<String, String> last) throws java.io.IOException {
    return sampleRewritten(name, first, entry, (member, bytes) -> bytes, last);
  }

  /** As above, each genuine member's bytes as {@code content} makes them (null: left out). */
  private Path sampleRewritten(String name, Map<String, String> first, UnaryOperator<java.util.zip.ZipEntry> entry,
      java.util.function.BinaryOperator<Object> content, Map<String, String> last) throws java.io.IOException {
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
        byte[] bytes = (byte[]) content.apply(e.getName(), genuine.getInputStream(e).readAllBytes());
        if (bytes != null) {
          out.putNextEntry(entry.apply(new java.util.zip.ZipEntry(e.getName())));
          out.write(bytes);
        }
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
