package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.ExitCodes;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Issue 13: the issuer journal's sealing of a GitHub token (AES-GCM with a key the issuer holds). */
class JournalKeyTest {
  private static final String TOKEN = "ghs_SENTINELsealedTOKEN0123456789";
  private static final JournalKey KEY = JournalKey.parse(Base64.getEncoder().encodeToString(new byte[32]), "test");

  private static final String JOURNAL = "0123456789abcdef0123456789abcdef";
  private static final String STEP = "revoke-github-token";

  @Test
  void aSealedHandleHoldsNothingInClearAndOpensToTheSameHandle() {
    Map<String, Object> handle = Map.of("api_url", "https://api.github.com", "token", TOKEN);

    Map<String, Object> sealed = SealedHandles.seal(JOURNAL, 1, STEP, handle, KEY);

    assertThat(sealed).containsOnlyKeys("sealed");
    assertThat(sealed.get("sealed").toString()).startsWith("v1:").doesNotContain(TOKEN).doesNotContain("api.github.com");
    assertThat(SealedHandles.open(Optional.of(JOURNAL), 1, STEP, sealed, Optional.of(KEY), "entry 1")).isEqualTo(handle);
  }

  @Test
  void aSealOpensOnlyInItsOwnJournalEntryAndStep() {
    Map<String, Object> sealed = SealedHandles.seal(JOURNAL, 1, STEP, Map.of("token", TOKEN), KEY);

    assertThatThrownBy(() -> SealedHandles.open(Optional.of("ffffffffffffffffffffffffffffffff"), 1, STEP, sealed,
        Optional.of(KEY), "entry 1")).isInstanceOf(SessionException.class)
        .hasMessageStartingWith("entry 1 cannot be opened with the journal key given");
    assertThatThrownBy(() -> SealedHandles.open(Optional.of(JOURNAL), 2, STEP, sealed, Optional.of(KEY), "entry 2"))
        .isInstanceOf(SessionException.class).hasMessageStartingWith("entry 2 cannot be opened");
    assertThatThrownBy(() -> SealedHandles.open(Optional.of(JOURNAL), 1, "revoke-vault-login", sealed,
        Optional.of(KEY), "entry 1")).isInstanceOf(SessionException.class).hasMessageStartingWith("entry 1 cannot be opened");
  }

  @Test
  void aFieldBesideTheSealOrATokenSealedTheOldWayIsRefused() {
    Map<String, Object> beside = new java.util.LinkedHashMap<>(SealedHandles.seal(JOURNAL, 1, STEP, Map.of("token", TOKEN), KEY));
    beside.put("api_url", "http://127.0.0.1:1");
    Map<String, Object> old = Map.of("api_url", "http://127.0.0.1:1", "token_sealed", "v1:AAAA");

    assertThatThrownBy(() -> SealedHandles.open(Optional.of(JOURNAL), 1, STEP, beside, Optional.of(KEY), "entry 1"))
        .isInstanceOf(SessionException.class).hasMessageStartingWith("entry 1 has fields beside its seal")
        .satisfies(e -> assertThat(((SessionException) e).exitCode()).isEqualTo(ExitCodes.TEARDOWN));
    assertThatThrownBy(() -> SealedHandles.open(Optional.of(JOURNAL), 1, STEP, old, Optional.of(KEY), "entry 1"))
        .isInstanceOf(SessionException.class).hasMessageStartingWith("entry 1's token_sealed was sealed by an earlier version");
    assertThatThrownBy(() -> SealedHandles.open(Optional.of(JOURNAL), 1, STEP, Map.of("api_url", "https://x.test"),
        Optional.of(KEY), "entry 1")).isInstanceOf(SessionException.class).hasMessageStartingWith("entry 1 is not sealed");
  }

  @Test
  void aSealedValueAlteredDoesNotOpen() {
    String sealed = KEY.seal(TOKEN, "taskbound journal/revoke-github-token/token");
    char[] altered = sealed.toCharArray();
    altered[10] = altered[10] == 'A' ? 'B' : 'A';

    assertThatThrownBy(() -> KEY.open(sealed, "taskbound journal/other-step/token", "entry 1's token"))
        .isInstanceOf(SessionException.class).hasMessageStartingWith("entry 1's token cannot be opened");
    assertThatThrownBy(() -> KEY.open(new String(altered), "taskbound journal/revoke-github-token/token", "entry 1's token"))
        .isInstanceOf(SessionException.class).hasMessageStartingWith("entry 1's token cannot be opened");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "not base64!", "AAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
  void aTextThatIsNotThirtyTwoBytesInBase64IsRefusedWithoutEchoingIt(String text) {
    assertThatThrownBy(() -> JournalKey.parse(text, "TASKBOUND_JOURNAL_KEY"))
        .isInstanceOf(SessionException.class)
        .hasMessage("TASKBOUND_JOURNAL_KEY: not a journal key; accepted: 32 random bytes in base64 (44 characters, as"
            + " 'head -c 32 /dev/urandom | base64' prints)")
        .satisfies(e -> assertThat(((SessionException) e).exitCode()).isEqualTo(ExitCodes.USAGE));
  }

  @Test
  void theKeyNeverShowsInItsString() {
    assertThat(KEY.toString()).isEqualTo("JournalKey[redacted]");
  }
}
