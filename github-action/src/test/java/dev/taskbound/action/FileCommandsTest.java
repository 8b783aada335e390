package dev.taskbound.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FileCommandsTest {

  private final FileCommands commands = new FileCommands(() -> "ghadelimiter_fixed");

  @Test
  void writesSingleLineValueAsNameEqualsValue() {
    assertThat(commands.entry("exit-code", "0")).isEqualTo("exit-code=0\n");
  }

  @Test
  void writesMultiLineValueInHeredocForm() {
    assertThat(commands.entry("summary", "line one\nline two"))
        .isEqualTo("summary<<ghadelimiter_fixed\nline one\nline two\nghadelimiter_fixed\n");
  }

  @Test
  void refusesValueThatContainsTheDelimiter() {
    assertThatThrownBy(() -> commands.entry("x", "a\nghadelimiter_fixed\nexit-code=0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the value of 'x' contains the heredoc delimiter");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a=b", "a<<b", "a\nb"})
  void refusesNamesThatWouldBreakTheFormat(String name) {
    assertThatThrownBy(() -> commands.entry(name, "v")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void randomDelimitersDifferAndAreNotGuessable() {
    FileCommands random = new FileCommands();

    String first = random.entry("v", "a\nb");
    String second = random.entry("v", "a\nb");

    assertThat(first).startsWith("v<<ghadelimiter_").isNotEqualTo(second);
  }

  @Test
  void appendsEntriesToTheRunnerFile(@TempDir Path dir) throws Exception {
    Path output = dir.resolve("output");
    Files.writeString(output, "earlier=1\n");

    commands.append(output, "exit-code", "3");
    commands.append(output, "bundle", "taskbound-evidence/T-1-s.zip");

    assertThat(Files.readString(output)).isEqualTo("earlier=1\nexit-code=3\nbundle=taskbound-evidence/T-1-s.zip\n");
  }
}
