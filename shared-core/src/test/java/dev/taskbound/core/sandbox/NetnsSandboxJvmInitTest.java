package dev.taskbound.core.sandbox;

import org.junit.jupiter.api.BeforeAll;

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
}
