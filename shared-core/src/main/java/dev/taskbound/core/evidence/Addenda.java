package dev.taskbound.core.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The sealed addenda of a bundle. A teardown retried after the bundle was sealed (a revocation
 * failed, then {@code taskbound teardown --session} succeeded) continues the same hash chain and
 * seals the longer chain with the same key into {@code <bundle>.addendum-<attempt>.zip}, next to
 * the bundle, which is never rewritten: the addendum holds the lines after the bundle's last one,
 * the new seal, the retry's teardown report and a summary and report of the whole session.
 */
public final class Addenda {
  private static final Pattern NAME = Pattern.compile("(.+)\\.addendum-([0-9]{1,4})\\.zip");

  private Addenda() {}

  /** The addendum of {@code bundleZip} for teardown attempt {@code attempt} (2 for the first retry). */
  public static Path path(Path bundleZip, int attempt) {
    String name = bundleZip.getFileName().toString();
    String stem = name.endsWith(".zip") ? name.substring(0, name.length() - 4) : name;
    return bundleZip.resolveSibling(stem + ".addendum-" + attempt + ".zip");
  }

  /** The addenda next to {@code bundleZip}, by attempt; none for a directory or a missing file. */
  public static List<Path> of(Path bundleZip) {
    Path file = bundleZip.toAbsolutePath();
    if (!Files.isRegularFile(file) || file.getParent() == null) {
      return List.of();
    }
    String name = file.getFileName().toString();
    String stem = name.endsWith(".zip") ? name.substring(0, name.length() - 4) : name;
    List<Path> found = new ArrayList<>();
    try (Stream<Path> siblings = Files.list(file.getParent())) {
      siblings.forEach(p -> {
        Matcher m = NAME.matcher(p.getFileName().toString());
        if (m.matches() && m.group(1).equals(stem) && Files.isRegularFile(p)) {
          found.add(p);
        }
      });
    } catch (IOException e) {
      throw new EvidenceException("cannot list the addenda of " + bundleZip + ": " + e.getMessage(), e);
    }
    found.sort(Comparator.comparingInt(Addenda::attempt));
    return found;
  }

  /** The bundle an addendum belongs to, when {@code path} is named like an addendum. */
  static Optional<Path> baseOf(Path path) {
    Path name = path.getFileName();
    Matcher m = name == null ? null : NAME.matcher(name.toString());
    return m != null && m.matches() ? Optional.of(path.resolveSibling(m.group(1) + ".zip")) : Optional.empty();
  }

  private static int attempt(Path addendum) {
    Matcher m = NAME.matcher(addendum.getFileName().toString());
    return m.matches() ? Integer.parseInt(m.group(2)) : 0;
  }

  /**
   * The outcome of each teardown attempt recorded in {@code events}: the first in {@code
   * session.closed}, each retry in {@code teardown.completed}. E.g. {@code "teardown: attempt 1
   * failed, attempt 2 ok"}.
   */
  static String teardownAttempts(List<EvidenceEvent> events) {
    List<String> attempts = new ArrayList<>();
    for (EvidenceEvent e : events) {
      if (e.type().equals("session.closed") || e.type().equals("teardown.completed")) {
        JsonNode ok = e.data().get("teardown_ok");
        attempts.add("attempt " + (attempts.size() + 1) + " " + (ok != null && ok.asBoolean() ? "ok" : "failed"));
      }
    }
    return "teardown: " + (attempts.isEmpty() ? "not recorded" : String.join(", ", attempts));
  }
}
