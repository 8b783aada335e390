package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationFormatTest {
  @ParameterizedTest
  @CsvSource({"90s, 90, 1m30s", "15m, 900, 15m", "1h30m, 5400, 1h30m", "8h, 28800, 8h", "1h0m5s, 3605, 1h5s",
      "120m, 7200, 2h"})
  void parsesGoStyleDurationsAndFormatsThemCanonically(String text, long seconds, String canonical) {
    Duration d = DurationFormat.parse(text);

    assertThat(d).isEqualTo(Duration.ofSeconds(seconds));
    assertThat(DurationFormat.format(d)).isEqualTo(canonical);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "3x", "1.5h", "-1h", "30m1h", "h", "1d", "1h 30m", "PT1H", "90"})
  void rejectsWhatIsNotAGoStyleDuration(String text) {
    assertThatThrownBy(() -> DurationFormat.parse(text))
        .isInstanceOf(PolicyException.class)
        .hasMessage("'" + text + "' is not a duration; accepted: " + DurationFormat.ACCEPTED);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0s", "0h0m", "0m"})
  void rejectsZero(String text) {
    assertThatThrownBy(() -> DurationFormat.parse(text))
        .isInstanceOf(PolicyException.class)
        .hasMessage("'" + text + "' is zero; accepted: a positive duration, " + DurationFormat.ACCEPTED);
  }
}
