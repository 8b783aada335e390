package dev.taskbound.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Who this process is, as the kernel says. Stateless. */
public final class ProcessUser {
  private ProcessUser() {}

  /**
   * This process's effective uid, from {@code /proc/self/status} ({@code Uid: real effective saved fs});
   * not the owner of {@code /proc/self}, which is root for a process that is not dumpable.
   *
   * @throws IOException if the file cannot be read or has no {@code Uid} line
   */
  public static int effectiveUid() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("Uid:")) {
        return Integer.parseInt(line.substring(4).strip().split("\\s+")[1]);
      }
    }
    throw new IOException("no Uid line in /proc/self/status");
  }
}
