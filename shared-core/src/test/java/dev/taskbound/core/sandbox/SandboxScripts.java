package dev.taskbound.core.sandbox;

/** Shell snippets for agents in tests that look at the sandbox from inside. */
public final class SandboxScripts {
  /**
   * Defines {@code listeners} (TCP listeners in the sandbox's network namespace) and
   * {@code heldByInit} (how many of them PID 1 holds).
   */
  public static final String LISTENER_COUNTS =
      "listeners() { awk '$4 == \"0A\"' /proc/net/tcp | wc -l; };"
          + " heldByInit() { h=0; for i in $(awk '$4 == \"0A\" {print $10}' /proc/net/tcp); do"
          + " ls -l /proc/1/fd | grep -q \"socket:\\[$i\\]\" && h=$((h+1)); done; echo $h; };";

  /**
   * Waits (at most 20 s) until PID 1 holds no listener: the hand-off to the gateway has completed.
   * Needs {@link #LISTENER_COUNTS}.
   */
  public static final String AWAIT_HAND_OVER =
      "n=0; while [ \"$(heldByInit)\" != 0 ] && [ $n -lt 400 ]; do sleep 0.05; n=$((n+1)); done;";

  private SandboxScripts() {}
}
