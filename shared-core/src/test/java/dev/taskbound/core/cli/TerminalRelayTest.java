package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Without its native relay run keeps the shared terminal and says why, once (RunCommand prints it). */
class TerminalRelayTest {
  @Test
  void anArchitectureWithoutABuildStartsNoRelayAndSaysWhy() {
    TerminalRelay.Result r = TerminalRelay.start("sparcv9");

    assertThat(r.relay()).isEmpty();
    assertThat(r.why()).hasValueSatisfying(why -> assertThat(why)
        .isEqualTo("this Taskbound was built without its terminal relay (no C compiler, or no build for sparcv9)"));
  }
}
