package dev.taskbound.core.sandbox;

import java.nio.file.Path;
import java.util.List;

/**
 * Removes the empty {@code taskbound-<pid>-<hex>} cgroups that {@code netns} launches of processes
 * now gone left behind: a launch killed with {@code SIGKILL} never removes its own. Every start of
 * the {@code netns} backend does this too; {@code teardown --session} calls it after killing a dead
 * session's sandbox. A cgroup whose maker still lives, or that still holds a process, stays.
 */
public final class LeftoverCgroups {
  private LeftoverCgroups() {}

  /**
   * Removes the leftovers beside where this process would make its own cgroups, waiting up to 2 s
   * for each one whose processes were killed just now to be emptied by the kernel. Never fails: what
   * cannot be removed stays for the next start.
   *
   * @return the cgroup directories removed
   */
  public static List<Path> remove() {
    return AgentLimits.removeLeftovers(Path.of("/sys/fs/cgroup"), Path.of("/proc/self/cgroup"));
  }
}
