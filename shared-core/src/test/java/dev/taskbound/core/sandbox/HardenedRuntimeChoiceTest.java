package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Issue 16: regulated work runs the agent container under a hardened runtime when the daemon offers one. */
class HardenedRuntimeChoiceTest {
  @Test
  void theStrongestOfferedHardenedRuntimeIsChosenWhenThePolicyNamesNone() {
    assertThat(ContainerSandbox.chooseRuntime(Optional.empty(), Set.of("runc", "kata-runtime", "runsc"),
        ContainerSandbox.HARDENED_RUNTIMES)).contains("runsc");
    assertThat(ContainerSandbox.chooseRuntime(Optional.empty(), Set.of("runc", "kata-runtime"),
        ContainerSandbox.HARDENED_RUNTIMES)).contains("kata-runtime");
  }

  @Test
  void aRuntimeThePolicyNamesWinsAndADaemonWithoutHardenedRuntimesKeepsItsDefault() {
    assertThat(ContainerSandbox.chooseRuntime(Optional.of("runc"), Set.of("runc", "runsc"), ContainerSandbox.HARDENED_RUNTIMES))
        .contains("runc");
    assertThat(ContainerSandbox.chooseRuntime(Optional.empty(), Set.of("runc", "io.containerd.runc.v2"),
        ContainerSandbox.HARDENED_RUNTIMES)).isEmpty();
  }

  @Test
  void withoutRegulatedWorkNothingIsPreferred() {
    assertThat(ContainerSandbox.chooseRuntime(Optional.empty(), Set.of("runc", "runsc"), java.util.List.of())).isEmpty();
  }
}
