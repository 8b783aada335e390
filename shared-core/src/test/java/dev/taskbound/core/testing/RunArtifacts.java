package dev.taskbound.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

/** What a {@code taskbound run} left behind: session directories, the bundle and its entries. */
public final class RunArtifacts {
  private RunArtifacts() {}

  /**
   * The session directories under {@code home/sessions} (none once teardown finished), and any
   * other file there except the {@code <id>.completed} records of finished teardowns.
   */
  public static List<Path> sessionDirectories(Path home) throws IOException {
    Path sessions = home.resolve("sessions");
    if (!Files.exists(sessions)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(sessions)) {
      return s.filter(p -> !(Files.isRegularFile(p) && p.getFileName().toString().endsWith(".completed"))).toList();
    }
  }

  /** The one bundle in {@code out}; fails unless there is exactly one. */
  public static Path onlyBundle(Path out) throws IOException {
    try (Stream<Path> s = Files.list(out)) {
      List<Path> zips = s.filter(p -> p.toString().endsWith(".zip")).toList();
      assertThat(zips).hasSize(1);
      return zips.get(0);
    }
  }

  /** An entry of the one bundle in {@code out}, as UTF-8 text. */
  public static String bundleText(Path out, String entry) throws IOException {
    try (ZipFile zip = new ZipFile(onlyBundle(out).toFile())) {
      return new String(zip.getInputStream(zip.getEntry(entry)).readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** The state directory a run printed as {@code session:}. */
  public static Path stateDir(CliProcess run, Duration timeout) throws InterruptedException {
    return Path.of(run.awaitLine(l -> l.startsWith("  session:"), timeout).substring("  session:".length()).strip());
  }

  /** Waits (at most 30 s) for the agent to make {@code file}: another process's file, so polled. */
  public static void awaitFile(Path file) throws InterruptedException {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    while (!java.nio.file.Files.exists(file) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    org.assertj.core.api.Assertions.assertThat(file).as("the agent started").exists();
  }
}
