package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Issue 19: the JDK's own locale data where it exists without a warning, the default elsewhere. */
class StartupLocaleDataTest {

  @ParameterizedTest
  @ValueSource(ints = {17, 18, 19, 20})
  void takesTheJdksOwnLocaleDataBeforeJdk21(int feature) {
    String unset = null;

    var providers = StartupLocaleData.providersFor(feature, unset);

    assertThat(providers).contains("COMPAT");
  }

  @ParameterizedTest
  @ValueSource(ints = {21, 22, 23, 25})
  void leavesTheDefaultWhereCompatWarnsOrIsGone(int feature) {
    String unset = null;

    var providers = StartupLocaleData.providersFor(feature, unset);

    assertThat(providers).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"CLDR", "CLDR,COMPAT", ""})
  void neverReplacesProvidersSetAsAJvmOption(String setByTheUser) {
    int jdk17 = 17;

    var providers = StartupLocaleData.providersFor(jdk17, setByTheUser);

    assertThat(providers).isEmpty();
  }
}
