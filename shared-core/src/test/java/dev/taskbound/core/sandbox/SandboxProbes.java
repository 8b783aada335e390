package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.TimeUnit;

/** How tests look at a sandbox's proxy port: shell snippets for agents inside, checks outside. */
public final class SandboxProbes {
  /**
   * Defines {@code listeners} (TCP listeners in the sandbox's network namespace) and
   * {@code heldByInit} (how many of them a process in the sandbox holds: init, bwrap's reaper, any).
   */
  public static final String LISTENER_COUNTS =
      "listeners() { awk '$4 == \"0A\"' /proc/net/tcp | wc -l; };"
          + " heldByInit() { h=0; for i in $(awk '$4 == \"0A\" {print $10}' /proc/net/tcp); do"
          + " ls -l /proc/[0-9]*/fd 2>/dev/null | grep -q \"socket:\\[$i\\]\" && h=$((h+1)); done; echo $h; };";

  /**
   * Waits (at most 20 s) until nothing in the sandbox holds a listener: the hand-off to the gateway has completed.
   * Needs {@link #LISTENER_COUNTS}.
   */
  public static final String AWAIT_HAND_OVER =
      "n=0; while [ \"$(heldByInit)\" != 0 ] && [ $n -lt 400 ]; do sleep 0.05; n=$((n+1)); done;";

  private SandboxProbes() {}

  /**
   * Asserts that a listener handed over by a sandbox gets closed once the sandbox has ended, which
   * an exit callback does on another thread: polls for at most 20 s.
   */
  public static void awaitClosed(ServerSocketChannel handed) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    for (int i = 0; i < 2000 && handed.isOpen() && System.nanoTime() < deadline; i++) {
      TimeUnit.MILLISECONDS.sleep(10);
    }
    assertThat(handed.isOpen()).as("the listener is closed once its sandbox has ended").isFalse();
  }
}
