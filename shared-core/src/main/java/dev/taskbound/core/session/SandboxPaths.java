package dev.taskbound.core.session;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The host paths a sandbox hides from the agent beyond its own floor: the session's private state,
 * every file a Taskbound host setting names (the GitHub App key, the Vault JWT; the ceiling is
 * shown read-only, as a policy file), the CI runner's own directories and file commands, the launcher's cache, the
 * invoking user's credential files, and the runtime root that holds other sessions' sockets.
 */
final class SandboxPaths {
  /** Host variables that name a file or directory the agent must never read. */
  static final List<String> HIDDEN_BY_VARIABLE =
      List.of("TASKBOUND_GITHUB_APP_KEY_FILE", "TASKBOUND_VAULT_JWT_FILE", "RUNNER_TEMP", "JENKINS_HOME");

  /**
   * The runner's file commands ({@code $GITHUB_ENV}, ...): their directories are hidden, so that no
   * policy path shows them to the agent (the Action's {@code /github/file_commands}): a line the agent
   * wrote there would set the environment or the {@code PATH} of the job's later steps, outside any
   * sandbox.
   */
  static final List<String> FILE_COMMANDS =
      List.of("GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STATE", "GITHUB_STEP_SUMMARY");

  /** Files and directories in the invoking user's home that hold credentials. */
  static final List<String> HOME_CREDENTIALS =
      List.of(".ssh", ".docker", ".m2/settings.xml", ".m2/settings-security.xml", ".npmrc", ".netrc", ".git-credentials",
          ".aws", ".azure", ".kube", ".config/gcloud", ".config/gh", ".gnupg", ".taskbound", ".vault-token", ".pypirc");

  private SandboxPaths() {}

  static List<Path> hidden(Path sessionRoot, Path runtimeRoot, Map<String, String> host) {
    List<Path> out = new ArrayList<>();
    out.add(sessionRoot);
    out.add(runtimeRoot); // this session's socket and files are bound back in, read-only
    for (String name : HIDDEN_BY_VARIABLE) {
      String value = host.get(name);
      if (value != null && !value.isBlank() && value.startsWith("/")) {
        out.add(Path.of(value));
      }
    }
    for (String name : FILE_COMMANDS) {
      String value = host.get(name);
      if (value != null && value.startsWith("/") && Path.of(value).getParent() != null
          && Path.of(value).getParent().getNameCount() > 0) {
        out.add(Path.of(value).getParent());
      }
    }
    out.add(launcherCache(host));
    String home = host.get("HOME");
    if (home != null && home.startsWith("/")) {
      // credentials in a home the sandbox does not cover by itself (not under /root or /home)
      for (String f : HOME_CREDENTIALS) {
        out.add(Path.of(home, f));
      }
    }
    return out;
  }

  /**
   * Makes the launcher's cache where it is missing, private as the launcher makes it ({@code mkdir
   * -p} under umask 077). A sandbox can hide only what exists: an agent that may write the cache's
   * parent (a policy's {@code readWrite: [~/.cache]}) would otherwise make it first and leave an
   * archive there that the host's next JVM maps before its first line, outside any sandbox. Best
   * effort: where the host user cannot make it, an agent of that user cannot either.
   */
  static void makeLauncherCache(Map<String, String> host) {
    Path cache = launcherCache(host).toAbsolutePath().normalize();
    if (Files.isDirectory(cache, LinkOption.NOFOLLOW_LINKS) || !trustedAncestors(cache, OwnerSocket.effectiveUid())) {
      return;
    }
    try {
      Files.createDirectories(cache, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException | UnsupportedOperationException e) { // NOPMD: a link or a file in its place stays hidden as it is
      // nothing to make
    }
  }

  /**
   * Whether every existing ancestor of {@code cache} is a real directory (no link) owned by root or
   * {@code uid} and writable by no one else unless sticky: what the launcher asks of a cache it uses.
   * Anything else it refuses anyway, and making a directory there (as root) through a link the agent
   * planted would put one wherever the agent chose.
   */
  static boolean trustedAncestors(Path cache, long uid) {
    for (Path dir = cache.getParent(); dir != null; dir = dir.getParent()) {
      try {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
          continue; // made below, private
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
          return false;
        }
        int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if (owner != 0 && owner != uid || RuntimeRoot.othersCanRename(mode)) {
          return false;
        }
      } catch (IOException | UnsupportedOperationException e) {
        return false;
      }
    }
    return true;
  }

  /** Where {@code bin/taskbound} keeps its class-data archive: {@code $XDG_CACHE_HOME/taskbound}, else {@code ~/.cache/taskbound}. */
  static Path launcherCache(Map<String, String> host) {
    String xdg = host.get("XDG_CACHE_HOME");
    if (xdg != null && xdg.startsWith("/")) {
      return Path.of(xdg, "taskbound");
    }
    return Path.of(host.getOrDefault("HOME", System.getProperty("user.home")), ".cache", "taskbound");
  }
}
