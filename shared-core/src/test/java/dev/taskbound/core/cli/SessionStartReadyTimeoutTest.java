package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.session.SessionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code TASKBOUND_SESSION_START_TIMEOUT}: whole seconds from 1 to a day, 120 when unset. */
class SessionStartReadyTimeoutTest {
  @Test
  void unsetIsTwoMinutesAndAWholeNumberOfSecondsIsTaken() {
    assertThat(SessionStartCommand.readySeconds(null)).isEqualTo(120);
    assertThat(SessionStartCommand.readySeconds("1")).isEqualTo(1);
    assertThat(SessionStartCommand.readySeconds("600")).isEqualTo(600);
    assertThat(SessionStartCommand.readySeconds("86400")).isEqualTo(86_400);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "0", "86401", "-1", "2m", "1.5", " 30", "999999999999", "\u0661\u0662"})
  void anythingElseIsAUsageErrorNamingTheVariableAndWhatIsAccepted(String value) {
    assertThatThrownBy(() -> SessionStartCommand.readySeconds(value))
        .isInstanceOfSatisfying(SessionException.class, e -> assertThat(e.exitCode()).isEqualTo(125))
        .hasMessageStartingWith("TASKBOUND_SESSION_START_TIMEOUT: '")
        .hasMessageEndingWith(" is not a time to wait for the session to open; accepted: whole seconds from 1 to 86400 (default 120)");
  }
}
