package dev.taskbound.core.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the id of the Docker container this process runs in, so that the {@code container} backend
 * can {@code docker inspect} it (its bind mounts and image) to start sibling containers
 * ({@link ContainerSelf}). Docker bind-mounts
 * {@code /etc/hostname}, {@code /etc/hosts} and {@code /etc/resolv.conf} from
 * {@code <data-root>/containers/<64 hex id>/}, which {@code /proc/self/mountinfo} shows whatever the
 * cgroup layout; failing that, Docker's default hostname is the id's first 12 characters.
 *
 * <p>Immutable and thread-safe; reads the files on each call.
 */
public final class OwnContainerId {
  private static final Pattern CONTAINER_DIR = Pattern.compile("/containers/([0-9a-f]{64})/");
  /** The mount points Docker itself fills from the container's directory; preferred over any other. */
  private static final Set<String> DOCKER_FILES = Set.of("/etc/hostname", "/etc/hosts", "/etc/resolv.conf");
  /** What {@code docker inspect} can take as a container id or name. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

  private final Path root;

  /** Reads the files of the filesystem whose root is {@code root} ({@code /} in production). */
  public OwnContainerId(Path root) {
    this.root = Objects.requireNonNull(root, "root");
  }

  /**
   * The id of this process's container: the 64-hex id from {@code /proc/self/mountinfo}, else, when
   * {@code /.dockerenv} exists, the hostname from {@code /etc/hostname}. Empty outside a container
   * and when neither gives a usable name. Unreadable files count as absent.
   */
  public Optional<String> id() {
    Optional<String> fromMounts = fromMounts();
    if (fromMounts.isPresent() || !Files.exists(root.resolve(".dockerenv"))) {
      return fromMounts;
    }
    return read("etc/hostname").map(String::strip).filter(h -> NAME.matcher(h).matches());
  }

  /**
   * The container id in {@code mountinfo} text ({@code proc(5)}): the first mount whose root or
   * source lies in a {@code /containers/<64 hex>/} directory, preferring the files Docker mounts
   * there itself. Empty if there is none. Malformed lines are skipped.
   */
  static Optional<String> idFromMountinfo(String mountinfo) {
    Optional<String> any = Optional.empty();
    for (String line : mountinfo.split("\n")) {
      // id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions
      String[] fields = line.strip().split(" ");
      int separator = Arrays.asList(fields).indexOf("-");
      if (separator < 6 || separator + 2 >= fields.length) {
        continue;
      }
      Optional<String> id = containerDir(fields[3]).or(() -> containerDir(fields[separator + 2]));
      if (id.isPresent() && DOCKER_FILES.contains(fields[4])) {
        return id;
      }
      if (any.isEmpty()) {
        any = id;
      }
    }
    return any;
  }

  private static Optional<String> containerDir(String path) {
    Matcher m = CONTAINER_DIR.matcher(path);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /**
   * The container to translate paths through for the {@code container} backend, from the setting
   * {@code TASKBOUND_DOCKER_SELF}: unset or blank means detect it from the mounts alone (as
   * {@link #id()} does, without its hostname fallback); {@value #NONE}
   * means none (the daemon sees this process's paths unchanged, e.g. a Docker-in-Docker daemon
   * sharing them); anything else names the container.
   */
  public Optional<String> resolve(String setting) {
    if (setting == null || setting.isBlank()) {
      // Only the mounts are evidence enough to act on unasked: a /.dockerenv and a hostname are
      // also found on machines built from container images that are not containers of this daemon.
      return fromMounts();
    }
    String s = setting.strip();
    return s.equals(NONE) ? Optional.empty() : Optional.of(s);
  }

  /** The {@code TASKBOUND_DOCKER_SELF} value that turns path translation off. */
  public static final String NONE = "none";

  private Optional<String> fromMounts() {
    return read("proc/self/mountinfo").flatMap(OwnContainerId::idFromMountinfo);
  }

  private Optional<String> read(String relative) {
    try {
      return Optional.of(Files.readString(root.resolve(relative), StandardCharsets.UTF_8));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
