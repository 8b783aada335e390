package dev.taskbound.action;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

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
   * The bundle a run wrote: {@code <task>-<session>.zip} once the core named the session (the
   * evidence directory is in the agent's workspace, where it may plant a zip with a later time),
   * else, for a run that stopped before its agent started, of the bundles of {@code task} in
   * {@code dir} that were not there before, the most recently modified one.
   *
   * @param sessionId the session the core's first line named, if it printed one
   * @param before what {@link #list} returned before the run
   */
  public static Optional<Path> written(Path dir, String task, Optional<String> sessionId, Set<Path> before) {
    if (sessionId.isPresent()) {
      Path named = dir.resolve(task + "-" + sessionId.get() + ".zip");
      return Files.isRegularFile(named, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? Optional.of(named) : Optional.empty();
    }
    return list(dir, task).stream()
        .filter(f -> !before.contains(f))
        .max(Comparator.comparing(EvidenceBundles::modified).thenComparing(Comparator.naturalOrder()));
  }

  /**
   * A private copy (0600, in {@code dir}) of {@code bundle}, found in the evidence directory after
   * the run, returned only when it is the run's own: reached from the workspace through no link,
   * intact, and sealed by the key whose kid the core printed at open, before the agent started;
   * else {@code refused} gets the reason. The directory is in the agent's workspace: it can plant a
   * zip under the run's name there (kept when the seal then fails: a full disk, a link in place of
   * the directory), and a summary, outputs and an attestation must never come from it. What the
   * step publishes is read from the verified copy, never again from the workspace.
   */
  public static Optional<Path> verifiedCopy(Path bundle, Path workspace, Optional<String> kid, Path dir,
      java.util.function.Consumer<String> refused) {
    Optional<String> linked = throughALink(bundle, workspace);
    if (linked.isPresent()) {
      refused.accept(linked.get());
      return Optional.empty();
    }
    Path copy;
    try {
      Files.createDirectories(dir);
      copy = Files.createTempFile(dir, "verified-", ".zip"); // 0600
      Files.copy(bundle, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      refused.accept(bundle + " cannot be copied to be verified: " + e.getMessage());
      return Optional.empty();
    }
    Optional<String> unsealed = notSealedBy(copy, kid).map(why -> bundle + " " + why);
    if (unsealed.isPresent()) {
      refused.accept(unsealed.get());
      deleteQuietly(copy);
      return Optional.empty();
    }
    return Optional.of(copy);
  }

  private static Optional<String> throughALink(Path bundle, Path workspace) {
    try {
      Path relative = workspace.toAbsolutePath().normalize().relativize(bundle.toAbsolutePath().normalize());
      if (relative.startsWith("..") || !bundle.toRealPath().equals(workspace.toRealPath().resolve(relative))) {
        return Optional.of(bundle + " is reached through a symbolic link");
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of(bundle + " cannot be resolved: " + e.getMessage());
    }
  }

  private static Optional<String> notSealedBy(Path bundle, Optional<String> kid) {
    if (kid.isEmpty()) {
      return Optional.of("cannot be checked: the core printed no evidence key at open");
    }
    dev.taskbound.core.evidence.VerificationResult result;
    try {
      result = dev.taskbound.core.evidence.BundleVerifier.verify(bundle,
          dev.taskbound.core.evidence.TrustAnchors.none().expectKid(kid.get()));
    } catch (RuntimeException e) {
      return Optional.of("cannot be verified: " + e.getMessage());
    }
    if (!result.valid() || !result.signerVerified()) {
      return Optional.of("does not verify against the evidence key recorded at open (kid " + kid.get() + "): "
          + (result.valid() ? result.signer() : result.message()));
    }
    return Optional.empty();
  }

  /** Deletes {@code file}, ignoring that it may be gone. */
  public static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) { // NOPMD: a private copy in the step's own directory
      // nothing more to do
    }
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

  /**
   * The hosts the gateway blocked, in first-blocked order, each as {@code host:port} with the exact
   * rule that would allow it ({@code egress.denied} events' {@code rule_to_add}).
   *
   * @throws UncheckedIOException if the bundle is not a readable zip file
   */
  public static Map<String, String> blockedHosts(Path bundle) {
    Map<String, String> blocked = new LinkedHashMap<>();
    try (ZipFile zip = new ZipFile(bundle.toFile())) {
      ZipEntry events = zip.getEntry("events.jsonl");
      if (events == null) {
        return blocked;
      }
      ObjectMapper json = new ObjectMapper();
      for (String line : new String(zip.getInputStream(events).readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode event = json.readTree(line);
        JsonNode data = event.path("data");
        if ("egress.denied".equals(event.path("type").asText()) && data.hasNonNull("host")) {
          String host = data.get("host").asText() + (data.hasNonNull("port") ? ":" + data.get("port").asText() : "");
          blocked.putIfAbsent(host, data.path("rule_to_add").asText(host));
        }
      }
      return blocked;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read evidence bundle " + bundle, e);
    }
  }

  /**
   * The task identity's SPIFFE ID: {@code sub} of the bundle's {@code identity.json}, if it has one.
   *
   * @throws UncheckedIOException if the bundle is not a readable zip file
   */
  public static Optional<String> spiffeId(Path bundle) {
    try (ZipFile zip = new ZipFile(bundle.toFile())) {
      ZipEntry identity = zip.getEntry("identity.json");
      if (identity == null) {
        return Optional.empty();
      }
      JsonNode sub = new ObjectMapper().readTree(zip.getInputStream(identity)).path("sub");
      return sub.isTextual() ? Optional.of(sub.asText()) : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read evidence bundle " + bundle, e);
    }
  }

  /** The session id in a bundle's name, {@code <task>-<session>.zip}. */
  public static String sessionId(Path bundle, String task) {
    String name = bundle.getFileName().toString();
    return name.substring(task.length() + 1, name.length() - ".zip".length());
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
