package dev.taskbound.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IdsTest {
  private static final String TASK_ACCEPTED = "accepted: 1 to 128 characters of A-Z a-z 0-9 . _ -, not '.' or '..'";

  @Test
  void acceptsTaskIdWithEveryAllowedCharacterAndKeepsCase() {
    String text = "JIRA-1234_fix.Login";

    TaskId id = TaskId.parse(text);

    assertThat(id.value()).isEqualTo(text);
    assertThat(id).isEqualTo(TaskId.parse(text)).hasToString(text);
  }

  @Test
  void acceptsTaskIdOfExactly128Characters() {
    String text = "a".repeat(128);

    TaskId id = TaskId.parse(text);

    assertThat(id.value()).hasSize(128);
  }

  @ParameterizedTest(name = "[{index}] ''{0}''")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "\"\"          | task id is empty; " + TASK_ACCEPTED,
        ".             | task id '.' is a relative path segment; " + TASK_ACCEPTED,
        "..            | task id '..' is a relative path segment; " + TASK_ACCEPTED,
        "fix/login     | task id 'fix/login' has character '/' at position 4; " + TASK_ACCEPTED,
        "\"fix login\" | task id 'fix login' has character U+0020 at position 4; " + TASK_ACCEPTED,
        "tâche         | task id 'tâche' has character U+00E2 at position 2; " + TASK_ACCEPTED,
        "a:b           | task id 'a:b' has character ':' at position 2; " + TASK_ACCEPTED,
      })
  void rejectsBadTaskIdsNamingTheProblem(String text, String message) {
    assertThatThrownBy(() -> TaskId.parse(text)).isExactlyInstanceOf(IdentityInputException.class).hasMessage(message);
  }

  @Test
  void rejectsTaskIdLongerThan128Characters() {
    String text = "b".repeat(129);

    assertThatThrownBy(() -> TaskId.parse(text))
        .isExactlyInstanceOf(IdentityInputException.class)
        .hasMessage("task id '" + "b".repeat(40) + "...' is 129 characters long; " + TASK_ACCEPTED);
  }

  @Test
  void taskIdErrorsAreInputErrorsWithPolicyExitCode() {
    IdentityInputException e = org.junit.jupiter.api.Assertions.assertThrows(IdentityInputException.class, () -> TaskId.parse(""));

    assertThat(e.exitCode()).isEqualTo(120);
  }

  @Test
  void randomSessionIdsAreTwentyCrockfordCharactersThatParseBack() {
    SessionId id = SessionId.random();

    assertThat(id.value()).matches("[0-9a-hjkmnp-tv-z]{20}");
    assertThat(SessionId.parse(id.value())).isEqualTo(id);
  }

  @Test
  void sessionIdsSortByCreationTime() {
    SecureRandom random = new SecureRandom();
    Clock earlier = Clock.fixed(Instant.parse("2026-11-27T10:00:00Z"), ZoneOffset.UTC);
    Clock later = Clock.fixed(Instant.parse("2026-11-27T10:00:00.001Z"), ZoneOffset.UTC);

    String a = SessionId.random(earlier, random).value();
    String b = SessionId.random(later, random).value();

    assertThat(a.compareTo(b)).isNegative();
    assertThat(a.substring(0, 10)).isNotEqualTo(b.substring(0, 10));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "0123456789abcdefghjk1   | session id '0123456789abcdefghjk1' is not accepted; expected 20 characters of 0-9 a-z without i l o u",
        "0123456789ABCDEFGHJK    | session id '0123456789ABCDEFGHJK' is not accepted; expected 20 characters of 0-9 a-z without i l o u",
        "0123456789abcdefghik    | session id '0123456789abcdefghik' is not accepted; expected 20 characters of 0-9 a-z without i l o u",
        "../../etc/passwd        | session id '../../etc/passwd' is not accepted; expected 20 characters of 0-9 a-z without i l o u",
      })
  void rejectsBadSessionIds(String text, String message) {
    assertThatThrownBy(() -> SessionId.parse(text)).isExactlyInstanceOf(IdentityInputException.class).hasMessage(message);
  }
}
