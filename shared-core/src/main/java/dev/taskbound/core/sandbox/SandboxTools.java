package dev.taskbound.core.sandbox;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The host programs the {@code netns} backend runs, located once on a search path.
 *
 * @param bwrap bubblewrap, which builds the namespaces and the agent's filesystem view
 * @param setpriv util-linux {@code setpriv}, which, under a root Taskbound, becomes the agent's user
 */
public record SandboxTools(Path bwrap, Path setpriv) {
  /** The caller's PATH followed by the system directories a non-root PATH often lacks. */
  public static String defaultSearchPath(String pathVariable) {
    String base = pathVariable == null ? "" : pathVariable;
    return base + File.pathSeparator + "/usr/sbin:/usr/bin:/sbin:/bin";
  }

  public SandboxTools {
    Objects.requireNonNull(bwrap, "bwrap");
    Objects.requireNonNull(setpriv, "setpriv");
  }

  /**
   * Finds every tool on {@code searchPath} ({@code :}-separated directories).
   *
   * @throws SandboxException naming the first missing tool, its package, the path searched and the
   *     options
   */
  public static SandboxTools locate(String searchPath) {
    return new SandboxTools(find(searchPath, "bwrap", "bubblewrap"), find(searchPath, "setpriv", "util-linux"));
  }

  /**
   * A program of the host's system directories ({@code /usr/sbin:/usr/bin:/sbin:/bin}), never one of
   * the caller's PATH: under a CI host that PATH may hold a directory the agent writes
   * ({@code node_modules/.bin}), and what Taskbound starts outside the sandbox would then be the agent's.
   *
   * @throws SandboxException naming the program, its package and the directories searched
   */
  public static Path system(String name, String debianPackage) {
    return find(defaultSearchPath(null), name, debianPackage);
  }

  static Path find(String searchPath, String name, String debianPackage) {
    Optional<Path> found = Optional.empty();
    for (String dir : searchPath.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        found = Optional.of(candidate);
        break;
      }
    }
    return found.orElseThrow(
        () ->
            new SandboxException(
                "the netns sandbox needs '"
                    + name
                    + "' (Debian/Ubuntu package "
                    + debianPackage
                    + "), which is not on the search path "
                    + searchPath
                    + ". "
                    + NetnsSandbox.OPTIONS));
  }
}
