package dev.taskbound.core.session;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A self-hosted GitHub Actions runner's own directory, where {@code config.sh} ran: its
 * registration and credentials ({@code .runner}, {@code .credentials} and
 * {@code .credentials_rsaparams}, the private key the runner authenticates to GitHub with, readable
 * by the runner's user, whom the agent runs as), its binaries and diagnostic logs, and in its work
 * folder ({@code _work}) every other repository's checkout. In a GitHub Actions job the directory is
 * hidden; the agent sees of it its working directory and, read-only, the tool cache
 * ({@code RUNNER_TOOL_CACHE}), where setup actions put the tools on its {@code PATH}. Only the
 * netns sandbox's view needs this: the container backend mounts the workspace alone, and a hosted
 * runner's directory lies under {@code /home}, which the view empties anyway.
 *
 * <p>The directory is the one two levels above the job's {@code Runner.Worker} (its steps run below
 * it: {@code <root>/bin/Runner.Worker}), which also finds a work folder configured elsewhere
 * ({@code config.sh --work}), or {@code RUNNER_ROOT}, or the nearest above {@code RUNNER_WORKSPACE},
 * each only where it holds the runner's {@code .runner} file.
 *
 * @param root the runner's directory, its real path
 * @param toolCache the tool cache, shown read-only, when it lies inside {@code root}
 */
record GithubRunnerDirectory(Path root, Optional<Path> toolCache) {
  /** The file {@code config.sh} writes into the runner's directory when it registers the runner. */
  static final String REGISTRATION = ".runner";
  /** The job's process; the runner's directory holds it in {@code bin/}. */
  static final String WORKER = "Runner.Worker";
  /** Bound on the walk up the process tree (the worker, a step's shell, the launcher, the JVM). */
  private static final int MAX_ANCESTORS = 32;

  static List<GithubRunnerDirectory> of(Map<String, String> host) {
    return of(host, GithubRunnerDirectory::workerExecutables);
  }

  /**
   * As above, with the executables of this process's ancestors given (nearest first). Every
   * candidate that holds {@link #REGISTRATION} is hidden: the directory above the job's worker (a
   * packaged runner may keep its state apart from its binaries: then {@code RUNNER_ROOT}, where
   * such packages put it), and the nearest above {@code RUNNER_WORKSPACE}.
   */
  static List<GithubRunnerDirectory> of(Map<String, String> host, Supplier<Stream<Path>> ancestors) {
    if (!"true".equals(host.get("GITHUB_ACTIONS"))) {
      return List.of();
    }
    List<Path> candidates = new ArrayList<>();
    ancestors.get().filter(p -> p.getFileName() != null && p.getFileName().toString().equals(WORKER))
        .map(p -> p.getParent() == null ? null : p.getParent().getParent())
        .filter(Objects::nonNull)
        .findFirst().ifPresent(candidates::add);
    absolute(host.get("RUNNER_ROOT")).ifPresent(candidates::add);
    registeredAbove(host.get("RUNNER_WORKSPACE")).ifPresent(candidates::add);
    Optional<Path> workspace = absolute(host.get("RUNNER_WORKSPACE")).flatMap(GithubRunnerDirectory::real);
    return candidates.stream().map(GithubRunnerDirectory::real).flatMap(Optional::stream)
        .filter(r -> r.getNameCount() > 0 && registered(r)).distinct()
        .map(r -> new GithubRunnerDirectory(r, toolCache(r, host.get("RUNNER_TOOL_CACHE"), workspace)))
        .toList();
  }

  private static boolean registered(Path dir) {
    return Files.isRegularFile(dir.resolve(REGISTRATION), LinkOption.NOFOLLOW_LINKS);
  }

  /** The nearest directory at or above {@code workspace} (not {@code /}) that holds {@link #REGISTRATION}. */
  private static Optional<Path> registeredAbove(String workspace) {
    for (Path p = absolute(workspace).flatMap(GithubRunnerDirectory::real).orElse(null); p != null && p.getNameCount() > 0;
        p = p.getParent()) {
      if (registered(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * The tool cache when it is a directory inside {@code root} that holds neither the workspace's
   * directory nor the registration: a variable naming {@code _work} (every checkout) or the
   * runner's own directory is not shown.
   */
  private static Optional<Path> toolCache(Path root, String path, Optional<Path> workspace) {
    return absolute(path).flatMap(GithubRunnerDirectory::real)
        .filter(p -> p.startsWith(root) && !p.equals(root) && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
        .filter(p -> workspace.map(w -> !w.startsWith(p)).orElse(true) && !registered(p));
  }

  private static Optional<Path> absolute(String path) {
    if (path == null || !path.startsWith("/")) {
      return Optional.empty();
    }
    return asPath(path);
  }

  /** The executables of this process's ancestors, nearest first (those this user may not read are left out). */
  private static Stream<Path> workerExecutables() {
    List<Path> out = new ArrayList<>();
    Optional<ProcessHandle> p = ProcessHandle.current().parent();
    for (int i = 0; i < MAX_ANCESTORS && p.isPresent(); i++) {
      p.get().info().command().flatMap(GithubRunnerDirectory::asPath).ifPresent(out::add);
      p = p.get().parent();
    }
    return out.stream();
  }

  private static Optional<Path> asPath(String command) {
    try {
      return Optional.of(Path.of(command));
    } catch (InvalidPathException e) {
      return Optional.empty();
    }
  }

  private static Optional<Path> real(Path path) {
    try {
      return Optional.of(path.toRealPath());
    } catch (IOException | SecurityException e) {
      return Optional.empty();
    }
  }
}
