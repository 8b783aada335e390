package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the container backend reads from {@code docker info}, and the floor it refuses to go below (issue 11, item 6). */
class DaemonFactsTest {
  private static final String ENDPOINT = "unix:///var/run/docker.sock";
  private static final String RUNTIMES = "{\"io.containerd.runc.v2\":{\"path\":\"runc\"},\"runc\":{\"path\":\"runc\"},"
      + "\"runsc\":{\"path\":\"/usr/local/bin/runsc\"}}";

  @Test
  void readsTheRuntimesTheDefaultAndTheSecurityOptions() {
    DaemonFacts facts = DaemonFacts.parse(RUNTIMES + "\nrunc\n[\"name=seccomp,profile=default\",\"name=userns\"]\n", ENDPOINT);

    assertThat(facts.runtimes()).containsExactlyInAnyOrder("io.containerd.runc.v2", "runc", "runsc");
    assertThat(facts.effectiveRuntime(Optional.empty())).isEqualTo("runc");
    assertThat(facts.effectiveRuntime(Optional.of("runsc"))).isEqualTo("runsc");
    assertThat(facts.remapsUsers()).isTrue();
    facts.requireFloor(Optional.of("runsc"), ENDPOINT); // offered, with seccomp: accepted
  }

  @Test
  void refusesADaemonWithoutSeccomp() {
    DaemonFacts facts = DaemonFacts.parse(RUNTIMES + "\nrunc\n[\"name=apparmor\"]\n", ENDPOINT);

    assertThatThrownBy(() -> facts.requireFloor(Optional.empty(), ENDPOINT))
        .isInstanceOf(SandboxException.class)
        .hasMessage("the Docker daemon at " + ENDPOINT + " runs containers without a seccomp filter (security options:"
            + " name=apparmor); the agent container needs Docker's default seccomp profile. Options: a daemon built with"
            + " seccomp and started without --seccomp-profile=unconfined, the netns backend, or, where the Ceiling allows it"
            + " (sandbox.allowReduced: [seccomp]), 'sandbox.confinement: reduced'");
  }

  @Test
  void refusesADaemonWhoseSeccompProfileIsUnconfined() {
    DaemonFacts facts = DaemonFacts.parse(RUNTIMES + "\nrunc\n[\"name=seccomp,profile=unconfined\"]\n", ENDPOINT);

    assertThatThrownBy(() -> facts.requireFloor(Optional.empty(), ENDPOINT))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("runs containers without a seccomp filter (security options: name=seccomp,profile=unconfined)");
  }

  @Test
  void refusesARuntimeTheDaemonDoesNotOfferNamingThoseItDoes() {
    DaemonFacts facts = DaemonFacts.parse("{\"runc\":{\"path\":\"runc\"}}\nrunc\n[\"name=seccomp,profile=default\"]\n", ENDPOINT);

    assertThatThrownBy(() -> facts.requireFloor(Optional.of("kata"), ENDPOINT))
        .isInstanceOf(SandboxException.class)
        .hasMessage("the container runtime 'kata' (sandbox.container.runtime) is not offered by the Docker daemon at "
            + ENDPOINT + "; it offers: runc. Options: install the runtime and register it with the daemon (gVisor:"
            + " 'runsc install', then restart dockerd), or name one of those");
  }

  @Test
  void anAnswerInAnotherShapeIsOneClearError() {
    assertThatThrownBy(() -> DaemonFacts.parse("null\n\n", ENDPOINT))
        .isInstanceOf(SandboxException.class)
        .hasMessageStartingWith("the Docker daemon at " + ENDPOINT + " answered 'docker info' in a form Taskbound does not"
            + " understand (")
        .hasMessageEndingWith("); accepted: Docker Engine 20.10 or later");
  }

  @Test
  void aDaemonWithoutSeccompIsAcceptedOnlyForALaunchThatMayGoWithoutTheFilterAndReportsItOff() {
    DaemonFacts without = DaemonFacts.parse(RUNTIMES + "\nrunc\n[\"name=seccomp,profile=unconfined\"]\n", ENDPOINT);
    DaemonFacts with = DaemonFacts.parse(RUNTIMES + "\nrunc\n[\"name=seccomp,profile=default\"]\n", ENDPOINT);
    Confinement reduced = new Confinement(Optional.empty(), java.util.List.of(), java.util.List.of(),
        dev.taskbound.core.policy.SandboxLimits.DEFAULT, java.util.List.of(dev.taskbound.core.policy.Protection.SECCOMP));

    assertThat(without.requireFloor(Optional.empty(), ENDPOINT, reduced)).containsExactly(dev.taskbound.core.policy.Protection.SECCOMP);
    assertThat(with.requireFloor(Optional.empty(), ENDPOINT, reduced)).as("never off where the daemon has it").isEmpty();
    assertThatThrownBy(() -> without.requireFloor(Optional.empty(), ENDPOINT, Confinement.DEFAULT))
        .isInstanceOf(SandboxException.class).hasMessageContaining("runs containers without a seccomp filter");
  }
}
