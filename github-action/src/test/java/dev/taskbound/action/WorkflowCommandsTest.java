package dev.taskbound.action;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WorkflowCommandsTest {

  @Test
  void masksSingleLineValueWithOneCommand() {
    assertThat(WorkflowCommands.addMask("ghs_abc123")).containsExactly("::add-mask::ghs_abc123");
  }

  @Test
  void masksEachLineOfMultiLineValueSeparately() {
    String pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\r\nBgkqhkiG9w0B\n\n-----END PRIVATE KEY-----\n";

    assertThat(WorkflowCommands.addMask(pem))
        .containsExactly(
            "::add-mask::-----BEGIN PRIVATE KEY-----",
            "::add-mask::MIIEvQIBADAN",
            "::add-mask::BgkqhkiG9w0B",
            "::add-mask::-----END PRIVATE KEY-----");
  }

  @Test
  void masksNothingForBlankValue() {
    assertThat(WorkflowCommands.addMask(" \n\t\n")).isEmpty();
  }

  @Test
  void escapesPercentSoMaskedValueIsTheLiteralOne() {
    assertThat(WorkflowCommands.addMask("a%0Ab")).containsExactly("::add-mask::a%250Ab");
  }

  @Test
  void keepsErrorOnOneLineWhateverTheMessageHolds() {
    assertThat(WorkflowCommands.error("bad\nvalue 100%\r"))
        .isEqualTo("::error::bad%0Avalue 100%25%0D")
        .doesNotContain("\n", "\r");
  }
}
