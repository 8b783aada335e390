package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.broker.SecretMasker;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The agent's terminal output, masked as it comes: shown at once, never a secret, whole or in pieces. */
class StreamMaskTest {
  private static final String SECRET = "s3cr3t-VALUE-42";
  private static final SecretMasker MASKER = new SecretMasker(List.of(Secret.of(SECRET)));

  @Test
  void aPromptWithoutALineEndIsShownAtOnce() {
    StreamMask mask = new StreamMask();

    assertThat(next(mask, "agent> ")).isEqualTo("agent> ");
  }

  @Test
  void aSecretWrittenInPiecesIsMaskedWholeAndNoPieceIsShown() {
    // every split of "before SECRET after" into two chunks
    String text = "before " + SECRET + " after";
    for (int cut = 0; cut <= text.length(); cut++) {
      StreamMask mask = new StreamMask();

      String shown = next(mask, text.substring(0, cut)) + next(mask, text.substring(cut)) + mask.rest(MASKER);

      assertThat(shown).as("cut at " + cut).isEqualTo("before *** after");
    }
  }

  @Test
  void aGithubTokenWrittenInPiecesIsMaskedByItsForm() {
    String token = "ghp_" + "A".repeat(36);
    for (int cut = 0; cut <= token.length() + 2; cut++) {
      StreamMask mask = new StreamMask();
      String text = "t=" + token + "\n";

      String shown = next(mask, text.substring(0, cut)) + next(mask, text.substring(cut)) + mask.rest(MASKER);

      assertThat(shown).as("cut at " + cut).isEqualTo("t=***\n");
    }
  }

  @Test
  void aCharacterCutBetweenChunksWaitsForItsLastByte() {
    byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
    StreamMask mask = new StreamMask();

    String first = mask.next(euro, 2, MASKER);
    String second = mask.next(new byte[] {euro[2]}, 1, MASKER);

    assertThat(first).isEmpty();
    assertThat(second).isEqualTo("€");
  }

  private static String next(StreamMask mask, String chunk) {
    byte[] b = chunk.getBytes(StandardCharsets.UTF_8);
    return mask.next(b, b.length, MASKER);
  }
}
