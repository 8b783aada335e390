package dev.taskbound.core.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SecretMaskerTest {
  static final String CLASSIC = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";
  /** The stateless JWT form: ghs_ then a JWT (header.payload.signature), ~520 characters. */
  static final String STATELESS = "ghs_eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9." + "eyJpc3MiOiJnaXRodWIiLCJzdWIiOiJpbnN0YWxsYXRpb24"
      + "x".repeat(300) + ".c2lnbmF0dXJlX3NpZ25hdHVyZV9zaWduYXR1cmVfc2lnbmF0dXJl" + "y".repeat(100);

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "token ghs_16C7e42F292c6912E7710c838347Ae178B4a end | token *** end",
      "ghp_abcdefghijklmnopqrstuvwxyz0123456789AB | ***",
      "gho_abcdefghijklmnopqrstuvwxyz0123456789AB, ghu_abcdefghijklmnopqrstuvwxyz0123456789AB | ***, ***",
      "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789 | ***",
      "ghs_short is not a token | ghs_short is not a token"})
  void masksUnknownGithubTokensOfEveryForm(String text, String expected) {
    SecretMasker masker = new SecretMasker(List.of());

    String masked = masker.mask(text);

    assertThat(masked).isEqualTo(expected);
  }

  @Test
  void masksTheStatelessJwtFormWholeNotJustItsPrefix() {
    SecretMasker masker = new SecretMasker(List.of());

    String masked = masker.mask("GH_TOKEN=" + STATELESS + " rest");

    assertThat(STATELESS.length()).isGreaterThan(500);
    assertThat(masked).isEqualTo("GH_TOKEN=*** rest");
  }

  @Test
  void masksKnownSecretsWholeAndLineByLine() {
    String pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAsecretline1\nQWERTYsecretline2\n-----END RSA PRIVATE KEY-----\n";
    SecretMasker masker = new SecretMasker(List.of(Secret.of(pem), Secret.of("p@ss w0rd!")));

    String whole = masker.mask("key:\n" + pem + "done");
    String oneLine = masker.mask("echo QWERTYsecretline2 and p@ss w0rd!");

    assertThat(whole).doesNotContain("secretline1").doesNotContain("secretline2").endsWith("done");
    assertThat(oneLine).isEqualTo("echo *** and ***");
  }

  @Test
  void eachMemberOfAWholeVaultSecretIsMaskedOnItsOwnAsTheAgentMayPrintOneAlone() {
    // a Vault secret read without `field`: the agent gets the JSON object and may `jq -r .password`
    SecretMasker masker = new SecretMasker(List.of(Secret.of(
        "{\"api_key\":\"4f9c1e7a\",\"host\":\"db.acme.internal\",\"password\":\"s3cr3t&pw\",\"pin\":\"1234\"}")));

    assertThat(masker.mask("password is s3cr3t&pw, xml s3cr3t&amp;pw, key 4f9c1e7a on db.acme.internal"))
        .isEqualTo("password is ***, xml ***, key *** on db.acme.internal"); // a member not named secret stays
    assertThat(masker.mask("pin 1234")).isEqualTo("pin 1234"); // shorter than six letters: not masked alone
    assertThat(new SecretMasker(List.of(Secret.of("{not json: s3cr3t-pw}"))).mask("s3cr3t-pw")).isEqualTo("s3cr3t-pw");
  }

  @Test
  void shortLinesOfAMultiLineSecretAreNotMaskedOnTheirOwn() {
    SecretMasker masker = new SecretMasker(List.of(Secret.of("{\n  \"password\": \"hunter2-long\"\n}")));

    String masked = masker.mask("{ a }");

    assertThat(masked).isEqualTo("{ a }");
  }

  @Test
  void secretToStringShowsOnlyTheFingerprint() {
    Secret secret = Secret.of("SENTINEL-value");

    String text = secret + " " + List.of(secret);

    assertThat(text).doesNotContain("SENTINEL").contains(secret.fingerprint());
    assertThat(secret.fingerprint()).matches("sha256:[0-9a-f]{12}");
    assertThat(Secret.of("abc").fingerprint()).isEqualTo("sha256:ba7816bf8f01");
  }

  /** A summary is cut before it is masked, where the agent chooses: the start of a secret before the cut goes too. */
  @Test
  void aSecretsStartBeforeTheCutOfAShortenedTextIsMasked() {
    SecretMasker masker = new SecretMasker(List.of(Secret.of("npm_SECRETVALUE1234")));
    String cut = "x".repeat(985) + " npm_SECRETVALUE123" + "...";

    assertThat(masker.maskCut(cut)).isEqualTo("x".repeat(985) + " ***...").doesNotContain("npm_S");
    assertThat(masker.maskCut("echo npm_SECRETVALUE1234 done")).isEqualTo("echo *** done");
    assertThat(masker.maskCut("a summary that ends here...")).isEqualTo("a summary that ends here...");
    assertThat(masker.mask(cut)).as("mask alone keeps the start").contains("npm_SECRETVALUE123");
  }

  /** What may still grow into a token waits: the start of the longest such end (a linear scan, not an anchored regex). */
  @ParameterizedTest
  @CsvSource({
    "'echo g', 5",
    "'echo gh', 5",
    "'echo ghp', 5",
    "'echo ghq', 8",
    "'echo ghp_abc', 5",
    "'echo ghp_ab.c', 13",
    "'echo ghs_ab.c', 5",
    "'echo github_p', 5",
    "'echo github_pat_x_1', 5",
    "'echo github_pat_x.1', 19",
    "'echo gx', 7",
    "'x ghs_ghs_ghs_', 2",
  })
  void safeCutStopsBeforeWhatMayStillBecomeAToken(String text, int cut) {
    assertThat(new SecretMasker(List.of()).safeCut(text)).isEqualTo(cut);
  }

  @Test
  void safeCutOfSixtyFourKiBOfTokenStartsEndsAtItsStart() {
    String text = "!!" + "ghs_".repeat(16383);

    assertThat(new SecretMasker(List.of()).safeCut(text)).isEqualTo(2);
    assertThat(new SecretMasker(List.of()).safeCut(text + "!")).isEqualTo(text.length() + 1);
  }
}
