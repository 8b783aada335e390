package dev.taskbound.core.policy;

import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The resource limits a sandbox applies to the agent ({@code spec.sandbox.limits}): how many
 * processes and threads it may hold at once, and how much memory. Immutable.
 *
 * @param pids the most tasks (processes and threads) the agent may hold; empty: no limit. The
 *     built-in default is {@value #DEFAULT_PIDS}
 * @param memoryBytes the most memory the agent may use, in bytes; empty (the default): no limit
 */
public record SandboxLimits(OptionalInt pids, OptionalLong memoryBytes) {
  /** The built-in default for {@code sandbox.limits.pids}: enough for a parallel build, not for a fork bomb. */
  public static final int DEFAULT_PIDS = 4096;
  /** The lowest {@code pids} accepted: the sandbox's own init (a small JVM) needs a few dozen threads. */
  public static final int MIN_PIDS = 64;
  /** The highest {@code pids} accepted: Linux's own upper bound for {@code pid_max}. */
  public static final int MAX_PIDS = 4_194_304;
  /** The lowest {@code memory} accepted (64Mi): the sandbox's own init needs some. */
  public static final long MIN_MEMORY = 64L << 20;
  /** The highest {@code memory} accepted (1Ti). */
  public static final long MAX_MEMORY = 1L << 40;
  /** What {@code sandbox.limits.memory} accepts, for messages. */
  public static final String MEMORY_ACCEPTED =
      "a whole number with the unit Ki, Mi, Gi or Ti (powers of 1024), such as 512Mi or 2Gi, from 64Mi to 1Ti";

  /** The built-in limits: {@value #DEFAULT_PIDS} tasks, no memory limit. */
  public static final SandboxLimits DEFAULT = new SandboxLimits(OptionalInt.of(DEFAULT_PIDS), OptionalLong.empty());

  private static final Pattern MEMORY = Pattern.compile("([1-9][0-9]{0,12})(Ki|Mi|Gi|Ti)");
  private static final String[] UNITS = {"Ki", "Mi", "Gi", "Ti"};

  /**
   * @throws IllegalArgumentException if {@code pids} is outside {@value #MIN_PIDS}..{@value
   *     #MAX_PIDS} or {@code memoryBytes} outside 64Mi..1Ti
   */
  public SandboxLimits {
    if (pids.isPresent() && (pids.getAsInt() < MIN_PIDS || pids.getAsInt() > MAX_PIDS)) {
      throw new IllegalArgumentException("pids must be from " + MIN_PIDS + " to " + MAX_PIDS + ": " + pids.getAsInt());
    }
    if (memoryBytes.isPresent() && (memoryBytes.getAsLong() < MIN_MEMORY || memoryBytes.getAsLong() > MAX_MEMORY)) {
      throw new IllegalArgumentException("memoryBytes must be from 64Mi to 1Ti: " + memoryBytes.getAsLong());
    }
  }

  /**
   * Parses a memory size as written in a policy ({@code 512Mi}, {@code 2Gi}).
   *
   * @return the size in bytes, or empty if {@code text} is not {@link #MEMORY_ACCEPTED}
   */
  public static OptionalLong parseMemory(String text) {
    Matcher m = MEMORY.matcher(text);
    if (!m.matches()) {
      return OptionalLong.empty();
    }
    int shift = 10 * (1 + java.util.Arrays.asList(UNITS).indexOf(m.group(2)));
    long n = Long.parseLong(m.group(1));
    if (n > (MAX_MEMORY >> shift)) {
      return OptionalLong.empty();
    }
    long bytes = n << shift;
    return bytes < MIN_MEMORY ? OptionalLong.empty() : OptionalLong.of(bytes);
  }

  /** {@code bytes} in the largest unit that divides it exactly ({@code 536870912} is {@code 512Mi}). */
  public static String formatMemory(long bytes) {
    for (int i = UNITS.length - 1; i >= 0; i--) {
      long unit = 1L << (10 * (i + 1));
      if (bytes % unit == 0) {
        return (bytes / unit) + UNITS[i];
      }
    }
    return Long.toString(bytes);
  }

  /** {@code pids} for people: the number, or {@code none}. */
  public String pidsText() {
    return pids.isPresent() ? Integer.toString(pids.getAsInt()) : "none";
  }

  /** {@code memory} for people: {@code 512Mi}, or {@code none}. */
  public String memoryText() {
    return memoryBytes.isPresent() ? formatMemory(memoryBytes.getAsLong()) : "none";
  }
}
