package dev.taskbound.action;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Finds the evidence bundle a {@code taskbound run} wrote ({@code <task>-<session>.zip} in its
 * {@code --out} directory) and reads the Markdown summary it carries. Stateless.
 */
public final class EvidenceBundles {
  /** The file name of the Markdown summary inside a bundle (at any depth). */
  public static final String SUMMARY_NAME = "summary.md";

  private EvidenceBundles() {}

  /**
   * The bundles of {@code task} present in {@code dir} now; empty if {@code dir} does not exist.
   *
   * @throws UncheckedIOException if {@code dir} exists but cannot be listed
   */
  public static Set<Path> list(Path dir, String task) {
    if (!Files.isDirectory(dir)) {
      return Set.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> isBundleOf(f, task)).collect(Collectors.toUnmodifiableSet());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  /**
   * The bundle a run wrote: of the bundles of {@code task} in {@code dir} that were not there
   * before, the most recently modified one.
   *
   * @param before what {@link #list} returned before the run
   */
  public static Optional<Path> written(Path dir, String task, Set<Path> before) {
    return list(dir, task).stream()
        .filter(f -> !before.contains(f))
        .max(Comparator.comparing(EvidenceBundles::modified).thenComparing(Comparator.naturalOrder()));
  }

  /**
   * The bundle's Markdown summary, if it holds one.
   *
   * @throws UncheckedIOException if the bundle is not a readable zip file
   */
  public static Optional<String> summary(Path bundle) {
    try (ZipFile zip = new ZipFile(bundle.toFile())) {
      for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
        ZipEntry entry = e.nextElement();
        String name = entry.getName();
        if (!entry.isDirectory() && (name.equals(SUMMARY_NAME) || name.endsWith("/" + SUMMARY_NAME))) {
          return Optional.of(new String(zip.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8));
        }
      }
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read evidence bundle " + bundle, e);
    }
  }

  private static boolean isBundleOf(Path file, String task) {
    String name = file.getFileName().toString();
    return name.startsWith(task + "-") && name.endsWith(".zip") && Files.isRegularFile(file);
  }

  private static FileTime modified(Path file) {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stat " + file, e);
    }
  }
}
