package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every case of {@link NetnsSandboxTest} again with the JVM's {@link SandboxInit}, the fallback
 * where the native init is unavailable ({@link NativeInit}): the same protocol, exit codes,
 * hand-off and signals from either init.
 */
class NetnsSandboxJvmInitTest extends NetnsSandboxTest {
  @BeforeAll
  static void withTheJvmInit() {
    sandbox = sandbox.jvmInitOnly(); // runs after NetnsSandboxTest.start()
  }

  @Test
  void theseCasesRunTheJvmInit() throws Exception {
    SandboxProcess p = sandbox.start(h.launch(List.of("true"), List.of()));

    SandboxHarness.Result r = h.run(p);

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(p.confinement()).containsEntry("init", "jvm");
  }
}
