package dev.taskbound.core.session;

import dev.taskbound.core.policy.SandboxBackend;
import dev.taskbound.core.sandbox.NetnsSandbox;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The other builds' workspaces on a Jenkins agent. Jenkins keeps every job's workspace on a node
 * under one directory ({@code <remote root>/workspace/<job full name>}, {@code <job>@2} for a
 * concurrent build, one flat name per multibranch branch), each beside its {@code @tmp}, where
 * credentials-binding writes secret files and durable-task the steps' logs; all of them belong to
 * the agent's user, as the sandbox's agent does. The netns sandbox's view empties {@code /home} and
 * {@code /var/lib/jenkins}, but a remote root elsewhere ({@code /srv/jenkins}, {@code /data/ci})
 * showed that whole directory read-only. In a Jenkins build on such a root the directory is hidden,
 * and of it only this build's workspace and its {@code @tmp} are shown, as the host view showed them
 * (read-only, the session's working directory and what the policy makes writable excepted).
 *
 * <p>A Jenkins build is one whose environment names {@code JENKINS_HOME} (Jenkins sets it in every
 * build, agents included) and a {@code WORKSPACE} at or above the session's working directory. The
 * directory of the workspaces is {@code WORKSPACE} less the job's full name ({@code JOB_NAME}, a
 * folder's job {@code team/app} included), else {@code WORKSPACE}'s parent (a flattened multibranch
 * name, a custom workspace). Paths are compared as the host resolves them (a root reached through
 * a symbolic link included). Left alone: a directory the view empties already, one that is a
 * top-level directory ({@code /opt}: it holds what the agent runs), and the container backend,
 * which mounts the workspace alone.
 *
 * @param hidden the directory holding this agent's workspaces
 * @param shown what of it the agent sees read-only besides its working directory
 */
record JenkinsWorkspaces(Path hidden, List<Path> shown) {
  JenkinsWorkspaces {
    shown = List.copyOf(shown);
  }

  /**
   * @param writable what the launch makes writable (the policy's {@code readWrite}): not shown read-only over it
   */
  static Optional<JenkinsWorkspaces> of(Path workDir, Map<String, String> host, SandboxBackend backend, List<Path> writable) {
    return of(workDir, host, backend, writable, NetnsSandbox::viewStartsEmpty);
  }

  /** As above, with what the view empties by itself ({@link NetnsSandbox#viewStartsEmpty}) given. */
  static Optional<JenkinsWorkspaces> of(Path workDir, Map<String, String> host, SandboxBackend backend, List<Path> writable,
      java.util.function.Predicate<Path> viewStartsEmpty) {
    String jenkinsHome = host.get("JENKINS_HOME");
    String workspace = host.get("WORKSPACE");
    if (backend != SandboxBackend.NETNS || jenkinsHome == null || jenkinsHome.isBlank() || workspace == null
        || !workspace.startsWith("/")) {
      return Optional.empty();
    }
    Optional<Path> ws = real(Path.of(workspace));
    Optional<Path> work = real(workDir);
    // the view shows the working directory as given: the directory hidden around it must be its own
    if (ws.isEmpty() || work.isEmpty() || !work.get().equals(workDir.toAbsolutePath().normalize())
        || !work.get().startsWith(ws.get())) {
      return Optional.empty();
    }
    Path root = workspacesRoot(ws.get(), host.getOrDefault("JOB_NAME", ""));
    if (root.getNameCount() < 2 || viewStartsEmpty.test(root)
        || real(Path.of(jenkinsHome)).map(root::startsWith).orElse(false)) {
      return Optional.empty();
    }
    List<Path> shown = new ArrayList<>();
    if (!ws.get().equals(work.get())) {
      shown.add(ws.get()); // a block in one of its directories (dir('sub')) sees the workspace around it
    }
    Path tmp = ws.get().resolveSibling(ws.get().getFileName() + "@tmp");
    if (Files.isDirectory(tmp)) {
      shown.add(tmp); // the build's own: a freestyle step's script, this block's credential files
    }
    shown.removeIf(p -> writable.stream().anyMatch(w -> p.startsWith(w.toAbsolutePath().normalize())));
    return Optional.of(new JenkinsWorkspaces(root, shown));
  }

  /** {@code <root>/workspace} of {@code <root>/workspace/team/app} (or {@code app@2}) for {@code JOB_NAME=team/app}. */
  static Path workspacesRoot(Path workspace, String jobName) {
    String[] names = jobName.split("/");
    int n = names.length;
    if (jobName.isEmpty() || n >= workspace.getNameCount()) {
      return workspace.getParent();
    }
    Path tail = workspace.subpath(workspace.getNameCount() - n, workspace.getNameCount());
    Path job;
    try {
      job = Path.of(jobName);
    } catch (java.nio.file.InvalidPathException e) {
      return workspace.getParent(); // not a name Jenkins gives
    }
    String last = workspace.getFileName().toString();
    boolean concurrent = last.matches(java.util.regex.Pattern.quote(names[n - 1]) + "@[0-9]+");
    boolean named = tail.equals(job) || (concurrent && (n == 1 || tail.getParent().equals(job.getParent())));
    Path root = workspace;
    for (int i = 0; named && i < n; i++) {
      root = root.getParent();
    }
    return named ? root : workspace.getParent();
  }

  private static Optional<Path> real(Path p) {
    try {
      return Optional.of(p.toRealPath());
    } catch (IOException | SecurityException e) {
      return Optional.empty();
    }
  }
}
