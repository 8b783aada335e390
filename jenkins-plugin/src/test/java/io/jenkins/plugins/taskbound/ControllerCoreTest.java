package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 13: the controller's run of the core is bounded, and a core it gives up on is gone when it
 * returns (so the journal's lock is free and the controller revokes from it at once); plain JUnit,
 * real processes, no Jenkins.
 */
class ControllerCoreTest {
  private static final Duration LONG = Duration.ofMinutes(2);

  @Test
  void aCoreThatFinishesGivesItsStatusAndOutputsAndSeesOnlyTheEnvironmentGiven() throws Exception {
    List<String> command = List.of("/bin/sh", "-c", "printf '%s' \"$(env | sort | tr '\\n' ' ')\"; printf err >&2; exit 3");

    ControllerCore.Result result = ControllerCore.run(command, Map.of("PATH", "/usr/bin:/bin", "A", "1"), LONG, LONG);

    assertEquals(3, result.status());
    assertEquals("A=1 PATH=/usr/bin:/bin PWD=" + System.getProperty("user.dir") + " ", result.out());
    assertEquals("err", result.err());
    assertFalse(result.timedOut());
  }

  @Test
  void aCoreThatOutlivesItsTimeoutAndIgnoresSigtermIsKilledBeforeTheRunReturns() throws Exception {
    String marker = marker();
    List<String> command = List.of("/bin/sh", "-c", "trap '' TERM; exec sleep 600 " + marker);

    ControllerCore.Result result = ControllerCore.run(command, Map.of("PATH", "/usr/bin:/bin"), Duration.ofSeconds(2),
        Duration.ofSeconds(1));

    assertTrue(result.timedOut());
    assertEquals(-1, result.status());
    assertFalse(running(marker), "the core is gone");
  }

  @Test
  void anInterruptedRunStopsTheCoreThenRethrows() {
    String marker = marker();
    List<String> command = List.of("/bin/sh", "-c", "exec sleep 600 " + marker);
    Thread.currentThread().interrupt(); // an aborted build interrupts the step's thread

    assertThrows(InterruptedException.class,
        () -> ControllerCore.run(command, Map.of("PATH", "/usr/bin:/bin"), LONG, Duration.ofSeconds(10)));

    assertFalse(running(marker), "the core is gone");
  }

  /** A sleep duration no other process has: GNU sleep sums its arguments. */
  private static String marker() {
    return "0.000" + Math.abs(System.nanoTime() % 1_000_000_000L);
  }

  private static boolean running(String marker) {
    return ProcessHandle.allProcesses().anyMatch(p -> p.isAlive()
        && p.info().commandLine().map(line -> line.contains("sleep 600 " + marker)).orElse(false));
  }
}
