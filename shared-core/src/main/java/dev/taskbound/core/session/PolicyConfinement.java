package dev.taskbound.core.session;

import dev.taskbound.core.policy.ConfinementPolicy;
import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.PolicyPath;
import dev.taskbound.core.policy.Provenance;
import dev.taskbound.core.sandbox.AgentUser;
import dev.taskbound.core.sandbox.Confinement;
import dev.taskbound.core.sandbox.SandboxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The policy's confinement ({@code sandbox.user}, {@code sandbox.paths}, {@code sandbox.confinement})
 * made concrete for one session on this host: {@code ~} and {@code $WORKSPACE} expanded, the user
 * resolved, and every extra path checked against what the sandbox must keep from the agent. Built
 * when the session opens, before anything exists. Immutable.
 *
 * @param confinement what the sandbox launch asks for (the policy files read-only besides the policy's paths)
 * @param hidden the policy's hidden workspace paths, as host paths
 * @param jenkins in a Jenkins build, the directory of the other builds' workspaces, hidden, and
 *     this build's, shown ({@link JenkinsWorkspaces})
 * @param runners in a job on a self-hosted GitHub Actions runner, the runner's directories, hidden,
 *     and its tool cache, shown ({@link GithubRunnerDirectory})
 */
record PolicyConfinement(Confinement confinement, List<Path> hidden, Optional<JenkinsWorkspaces> jenkins,
    List<GithubRunnerDirectory> runners) {
  PolicyConfinement {
    hidden = List.copyOf(hidden);
    runners = List.copyOf(runners);
  }

  /**
   * @param evidenceDir the evidence directory as recorded at open (real path); read-only inside
   *     when it lies in the workspace
   * @param sessionRoot where sessions keep their private state
   * @param runtimeRoot where sessions keep their runtime directories ({@code tb-*})
   * @throws SandboxException (exit 121) if {@code sandbox.user} is unknown or root, or a policy path
   *     lies within what the sandbox always hides (session state, another session's runtime
   *     directory, the launcher cache, the invoking user's credential files)
   */
  static PolicyConfinement of(EffectivePolicy policy, Path workDir, Map<String, String> host, List<Path> policyFiles,
      Path evidenceDir, Path sessionRoot, Path runtimeRoot, Path passwd) {
    ConfinementPolicy c = policy.confinement();
    Path workspace = workDir.toAbsolutePath().normalize();
    Path home = Path.of(host.getOrDefault("HOME", System.getProperty("user.home"))).toAbsolutePath().normalize();
    Optional<AgentUser> user = c.user().map(u -> AgentUser.resolve(u, "sandbox.user ("
        + policy.provenanceOf("sandbox.user").map(Provenance::toString).orElse("policy") + ")", passwd));
    List<Path> guarded = guarded(sessionRoot, host, home);
    List<Path> readOnly = new ArrayList<>();
    // by their real paths: the sandbox refuses a policy path that leads through a link (a policy
    // file may be a link, or sit below a linked directory the host chose)
    policyFiles.forEach(f -> readOnly.add(lockedFor(realOrAsWritten(f), realOrAsWritten(workspace))));
    // The evidence directory in the workspace, read-only and a mount point the agent cannot move:
    // nothing it plants there can stand where the bundle goes.
    if (evidenceDir.startsWith(realOrAsWritten(workspace)) && !evidenceDir.equals(realOrAsWritten(workspace))) {
      readOnly.add(evidenceDir);
    }
    readOnly.addAll(expand(c.readOnly(), "sandbox.paths.readOnly", policy, home, workspace, guarded, runtimeRoot));
    List<Path> readWrite = expand(c.readWrite(), "sandbox.paths.readWrite", policy, home, workspace, guarded, runtimeRoot);
    List<Path> hidden = new ArrayList<>();
    c.hide().forEach(p -> hidden.add(p.expand(home, workspace)));
    refuseControlFiles(readWrite, c.readWrite(), policy, workspace, host);
    return new PolicyConfinement(
        new Confinement(user, readOnly, readWrite, dev.taskbound.core.policy.SandboxLimits.DEFAULT, c.reducible()), hidden,
        JenkinsWorkspaces.of(workDir, host, policy.backend()),
        policy.backend() == dev.taskbound.core.policy.SandboxBackend.NETNS ? GithubRunnerDirectory.of(host) : List.of());
  }

  /**
   * In a Jenkins build ({@code JENKINS_HOME} and an absolute {@code WORKSPACE}), a read-write path
   * within or above a {@code @tmp} of the build ({@code WORKSPACE}'s, the working directory's, as
   * written or as the host resolves them): Jenkins' host processes (durable-task, the plugin's
   * reporter) write and read each step's control files there by name, so a link the agent planted
   * would have them write or read any file of the agent's host user; credentials-binding keeps the
   * build's secret files there too. The plugin gives each step what it needs of it ({@code session
   * exec --rw/--ro}).
   */
  private static void refuseControlFiles(List<Path> readWrite, List<PolicyPath> written, EffectivePolicy policy,
      Path workDir, Map<String, String> host) {
    String jenkinsHome = host.get("JENKINS_HOME");
    String buildWorkspace = host.get("WORKSPACE");
    if (jenkinsHome == null || jenkinsHome.isBlank() || buildWorkspace == null || !buildWorkspace.startsWith("/")) {
      return;
    }
    java.util.Set<Path> controlFiles = new java.util.LinkedHashSet<>();
    for (Path w : List.of(Path.of(buildWorkspace).normalize(), workDir)) {
      for (Path form : List.of(w, realOrAsWritten(w))) {
        if (form.getFileName() != null) {
          controlFiles.add(ExecPaths.controlFilesOf(form));
        }
      }
    }
    for (int i = 0; i < readWrite.size(); i++) {
      for (Path p : List.of(readWrite.get(i), realOrAsWritten(readWrite.get(i)))) {
        for (Path t : controlFiles) {
          if (p.startsWith(t) || t.startsWith(p)) {
            String field = "sandbox.paths.readWrite[" + i + "]";
            throw new SandboxException(policy.provenanceOf(field).map(Provenance::toString).orElse("policy") + ": " + field
                + ": " + written.get(i) + " (" + readWrite.get(i) + ") " + (p.startsWith(t) ? "lies within " : "holds ") + t
                + ", where Jenkins keeps each step's control files, read and written by name on the host, and"
                + " credentials-binding the build's secret files; the agent may not write there: remove it (the Taskbound"
                + " plugin gives each sh step its own directory)");
          }
        }
      }
    }
  }

  /**
   * What to bind read-only so that the agent can change neither a policy file nor which file its
   * path names: the file itself when it sits in the workspace's top level or outside it (a mount
   * point cannot be renamed), else the workspace's top-level directory that holds it, since
   * renaming any directory on the way ({@code mv taskbound taskbound-old; mkdir taskbound}) would
   * carry the bound file away and put the agent's own in its place (review finding F2).
   */
  static Path lockedFor(Path policyFile, Path workspace) {
    Path file = policyFile.toAbsolutePath().normalize();
    if (!file.startsWith(workspace) || file.getParent().equals(workspace)) {
      return file;
    }
    return workspace.resolve(workspace.relativize(file).getName(0));
  }

  /** {@code p} as the host resolves it; as written (absolute, normalised) when it does not resolve. */
  static Path realOrAsWritten(Path p) {
    try {
      return p.toRealPath();
    } catch (java.io.IOException e) {
      return p.toAbsolutePath().normalize(); // a missing path is skipped by the sandbox
    }
  }

  /** Paths whose insides the agent never sees, whatever the policy adds. */
  private static List<Path> guarded(Path sessionRoot, Map<String, String> host, Path home) {
    List<Path> out = new ArrayList<>();
    out.add(sessionRoot.toAbsolutePath().normalize());
    out.add(SandboxPaths.launcherCache(host).toAbsolutePath().normalize());
    for (String f : SandboxPaths.HOME_CREDENTIALS) {
      out.add(home.resolve(f));
    }
    return out;
  }

  private static List<Path> expand(List<PolicyPath> paths, String field, EffectivePolicy policy, Path home, Path workspace,
      List<Path> guarded, Path runtimeRoot) {
    List<Path> out = new ArrayList<>();
    Path runtime = runtimeRoot.toAbsolutePath().normalize();
    for (int i = 0; i < paths.size(); i++) {
      Path p = paths.get(i).expand(home, workspace).normalize();
      String where = policy.provenanceOf(field + "[" + i + "]").map(Provenance::toString).orElse("policy") + ": " + field
          + "[" + i + "]";
      for (Path g : guarded) {
        if (p.startsWith(g) && !p.equals(g)) {
          throw refused(where, paths.get(i), p, g);
        }
      }
      refuseKernelFileSystems(where, paths.get(i), p);
      if (p.startsWith(runtime) && p.getNameCount() > runtime.getNameCount()
          && p.getName(runtime.getNameCount()).toString().startsWith("tb-")) {
        throw refused(where, paths.get(i), p, runtime.resolve(p.getName(runtime.getNameCount())));
      }
      out.add(p);
    }
    return out;
  }

  /** The sandbox's own {@code /proc}, {@code /dev} and {@code /sys} view, which the host's must never replace. */
  static final List<Path> KERNEL_FILE_SYSTEMS = List.of(Path.of("/proc"), Path.of("/dev"), Path.of("/sys"));

  /**
   * The whole host ({@code /}) or the host's {@code /proc}, {@code /dev} or {@code /sys}, bound over
   * the sandbox's own, would show the agent every host process, the block devices, the host's
   * cgroup tree and what else the view hides: refused whoever allows it.
   */
  private static void refuseKernelFileSystems(String where, PolicyPath written, Path p) {
    Path kernel = p.getNameCount() == 0 ? p : KERNEL_FILE_SYSTEMS.stream().filter(p::startsWith).findFirst().orElse(null);
    if (kernel != null) {
      throw new SandboxException(where + ": " + written + " (" + p + ") " + (p.getNameCount() == 0 ? "is the host's root"
          : "lies within " + kernel) + ", which the sandbox never shows from the host (it gives the agent its own /proc,"
          + " /dev and /sys view); accepted: a path other than / outside /proc, /dev and /sys");
    }
  }

  private static SandboxException refused(String where, PolicyPath written, Path p, Path guarded) {
    return new SandboxException(where + ": " + written + " (" + p + ") lies within " + guarded + ", which the sandbox"
        + " always hides (session state, other sessions, the launcher cache, credential files); accepted: a path"
        + " outside it");
  }
}
