package dev.taskbound.core.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import dev.taskbound.core.cli.VerifyCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class VerifyCommandTest {
  @TempDir Path tmp;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return new CommandLine(new VerifyCommand()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
  }

  @Test
  void neverCallsASelfSignedBundleVerifiedAndExitsThreeNamingTheAnchorsItWouldAccept() {
    SampleSession s = SampleSession.write(tmp.resolve("s"));
    Path zip = s.zip(tmp.resolve("bundle.zip"));

    int code = run(zip.toString());

    assertThat(code).isEqualTo(3);
    assertThat(out.toString()).isEqualTo("ok: 17 events, sealed by kid " + s.key.keyId() + " (key from the bundle); session "
        + SampleSession.SESSION + ", task " + SampleSession.TASK + System.lineSeparator());
    assertThat(err.toString()).startsWith("signer NOT verified: no trust anchor given")
        .contains("--trusted-keys FILE").contains("--expect-kid KID").contains("--jwks FILE");
  }

  @Test
  void expectSessionRefusesAnotherSessionsBundleWithExitOne() {
    SampleSession s = SampleSession.write(tmp.resolve("s"));

    int code = run(s.dir.toString(), "--expect-kid", s.key.keyId(), "--expect-session", "01m98other0000000000");

    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).startsWith("invalid: the bundle is of session " + SampleSession.SESSION + " (task "
        + SampleSession.TASK + "), not of the expected session 01m98other0000000000 (--expect-session)");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void allowUnverifiedSignerExitsZeroButStillSaysSo() {
    SampleSession s = SampleSession.write(tmp.resolve("s"));

    int code = run(s.dir.toString(), "--allow-unverified-signer");

    assertThat(code).isZero();
    assertThat(err.toString()).startsWith("signer NOT verified");
  }

  @Test
  void theHostRecordedKidVerifiesTheSignerAndSaysWhichAnchorDidIt() {
    SampleSession s = SampleSession.write(tmp.resolve("s"));

    int code = run(s.dir.toString(), "--expect-kid", s.key.keyId());

    assertThat(code).isZero();
    assertThat(out.toString()).endsWith("signer verified by the host record (--expect-kid " + s.key.keyId() + ")"
        + System.lineSeparator());
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void aBundleResealedWithAnotherKeyFailsAgainstTheHostRecord() {
    SampleSession s = SampleSession.write(tmp.resolve("s"));
    SampleSession remade = SampleSession.write(tmp.resolve("remade"), SampleSession.script(), SealingKey.generate());

    int code = run(remade.dir.toString(), "--expect-kid", s.key.keyId());

    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).isEqualTo("invalid: signer: sealed by kid " + remade.key.keyId() + ", but the host recorded kid "
        + s.key.keyId() + " (re-signed with another key?)" + System.lineSeparator());
  }

  @Test
  void exitsTwoForAMalformedExpectedKid() {
    SampleSession s = SampleSession.write(tmp.resolve("s"));

    int code = run(s.dir.toString(), "--expect-kid", "abc");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).startsWith("taskbound verify: --expect-kid 'abc' is not a key thumbprint");
  }

  @Test
  void exitsZeroAgainstTheTrustedJwksFile() throws Exception {
    SampleSession s = SampleSession.write(tmp.resolve("s"));
    Path jwks = Files.writeString(tmp.resolve("trusted.json"), s.key.publicJwkSetJson());

    int code = run(s.dir.toString(), "--jwks", jwks.toString());

    assertThat(code).isZero();
    assertThat(out.toString()).contains("(trusted JWKS)");
  }

  @Test
  void exitsOneAndNamesTheFirstBadLine() throws Exception {
    SampleSession s = SampleSession.write(tmp.resolve("s"));
    List<String> lines = s.lines();
    lines.set(2, lines.get(2).replace("gateway.sock", "gateway.sock2"));
    s.writeLines(lines);

    int code = run(s.dir.toString());

    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).isEqualTo("invalid: line 3: hash mismatch (edited?)" + System.lineSeparator());
    assertThat(out.toString()).isEmpty();
  }

  /**
   * Review finding: verify printed the bundle's own text as it was, so a seal kid holding a carriage
   * return, an erase-line sequence and a line of its own drew "ok" over the "invalid:" line.
   */
  @Test
  void printsControlCharactersFromTheBundleEscaped() throws Exception {
    SampleSession s = SampleSession.write(tmp.resolve("s"));
    ObjectNode seal = (ObjectNode) CanonicalJson.MAPPER.readTree(s.seal.toFile());
    JWSObject original = JWSObject.parse(seal.get("jws").asText());
    JWSObject forged = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("x\r\u001b[K\nok: 17 events, sealed by kid y")
        .type(new JOSEObjectType(Sealer.TYPE)).build(), new Payload(original.getPayload().toBytes()));
    forged.sign(new ECDSASigner(s.key.privateKey()));
    seal.put("jws", forged.serialize());
    CanonicalJson.MAPPER.writeValue(s.seal.toFile(), seal);

    int code = run(s.dir.toString());

    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).isEqualTo("invalid: seal: kid x\\r\\e[K\\nok: 17 events, sealed by kid y is not a key id"
        + " (43 base64url characters, the key's RFC 7638 thumbprint)" + System.lineSeparator());
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void exitsTwoForATruncatedZip() throws Exception {
    SampleSession s = SampleSession.write(tmp.resolve("s"));
    byte[] zip = Files.readAllBytes(s.zip(tmp.resolve("bundle.zip")));
    Path cut = Files.write(tmp.resolve("cut.zip"), Arrays.copyOf(zip, zip.length - 30));

    int code = run(cut.toString());

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).startsWith("taskbound verify: cannot read bundle " + cut);
  }

  @Test
  void exitsTwoForAnUnreadableJwksFile() {
    SampleSession s = SampleSession.write(tmp.resolve("s"));

    int code = run(s.dir.toString(), "--jwks", tmp.resolve("missing.json").toString());

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).startsWith("taskbound verify: cannot read --jwks " + tmp.resolve("missing.json"));
  }
}
