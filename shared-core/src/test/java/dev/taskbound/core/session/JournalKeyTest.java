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

  @Test
  void aSealedHandleHoldsNoTokenAndOpensToTheSameHandle() {
    Map<String, Object> handle = Map.of("api_url", "https://api.github.com", "token", TOKEN);

    Map<String, Object> sealed = SealedHandles.seal("revoke-github-token", handle, KEY);

    assertThat(sealed).containsEntry("api_url", "https://api.github.com").doesNotContainKey("token");
    assertThat(sealed.get("token_sealed").toString()).startsWith("v1:").doesNotContain(TOKEN);
    assertThat(SealedHandles.open("revoke-github-token", sealed, Optional.of(KEY), "entry 1")).isEqualTo(handle);
  }

  @Test
  void aSealedValueMovedUnderAnotherStepOrAlteredDoesNotOpen() {
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
