package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The token shapes masked in a block's log; plain JUnit, no Jenkins. */
class TokenMaskerTest {
  private static final String INSTALLATION_TOKEN = "ghs_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
  private static final String VAULT_TOKEN = "hvs." + "CAESIJ1b2C3d4E5f6G7h8I9j0K1l2M3n4";

  @Test
  void masksAGithubInstallationTokenWhereverItIsInTheLine() {
    assertEquals("remote: https://x-access-token:****@github.com/acme/app",
        TokenMasker.mask("remote: https://x-access-token:" + INSTALLATION_TOKEN + "@github.com/acme/app"));
  }

  @Test
  void masksVaultTokensAndEveryGithubTokenKind() {
    String line = "VAULT_TOKEN=" + VAULT_TOKEN + " pat=" + "github_pat_" + "11ABCDEFG0abcdefghijklmnopqrstuvwxyz"
        + " oauth=" + "gho_" + "abcdefghijklmnopqrstuvwxyz0123456789AB";

    assertEquals("VAULT_TOKEN=**** pat=**** oauth=****", TokenMasker.mask(line));
  }

  @Test
  void leavesLinesWithoutTokensAndTooShortLookalikesAlone() {
    String line = "ghs_short hvs.short git checkout gh-pages; cd hvs.d";

    assertEquals(line, TokenMasker.mask(line));
  }

  @Test
  void masksTheValuesTheControllerIssuedWholeEvenWhenOneContainsAnother() {
    String line = "db=pw-SENTINEL-long url=postgres://u:pw-SENTINEL-long@db token=pw-SENTINEL";

    String masked = TokenMasker.mask(line, java.util.List.of("pw-SENTINEL", "pw-SENTINEL-long"));

    org.junit.jupiter.api.Assertions.assertEquals("db=**** url=postgres://u:****@db token=****", masked);
  }
}
