package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.AbortException;
import hudson.FilePath;
import hudson.remoting.VirtualChannel;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jenkins.MasterToSlaveFileCallable;

/**
 * The files every envelope of one step reads on the agent: the core CLI jar (one copy per node,
 * see {@link CoreJarCache}), and the ceiling and snapshots of the job's policy files in
 * {@code <workspace>@tmp/taskbound}, unique to the step. Policies are
 * snapshotted once, after they were checked, so an agent that edits {@code taskbound/policy.yml} in
 * the workspace cannot widen the envelopes of the block's later commands. The SHA-256 of each file
 * is recorded so that {@link #verify} can tell, when the block ends, whether anything rewrote them
 * in between. Immutable and serializable (it lives in the Pipeline program state).
 */
final class EnvelopeInputs implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String jar;
  private final String ceiling;
  private final List<String> policies;
  private final LinkedHashMap<String, String> digests;

  private EnvelopeInputs(String jar, String ceiling, List<String> policies, Map<String, String> digests) {
    this.jar = jar;
    this.ceiling = ceiling;
    this.policies = List.copyOf(policies);
    this.digests = new LinkedHashMap<>(digests);
  }

  /**
   * Makes sure the node has the plugin's core CLI in its digest-keyed cache under {@code nodeRoot}
   * (see {@link CoreJarCache}; copied only when absent or altered) and writes the ceiling into
   * {@code toolDir} if one is configured. Policies are not snapshotted yet.
   *
   * @param nodeRoot the node's root directory, where the cache lives across builds
   * @param toolDir the step's own directory for the ceiling and policy snapshots
   */
  @NonNull
  static EnvelopeInputs install(@NonNull FilePath nodeRoot, @NonNull FilePath toolDir, @CheckForNull String ceilingText)
      throws IOException, InterruptedException {
    FilePath jar = cachedJar(nodeRoot);
    toolDir.mkdirs();
    FilePath ceiling = ceilingText == null ? null : toolDir.createTextTempFile("ceiling-", ".yml", ceilingText, true);
    return new EnvelopeInputs(jar.getRemote(), ceiling == null ? null : ceiling.getRemote(), List.of(), Map.of());
  }

  /** The node's copy of the bundled core CLI, copied from the controller only if the node lacks it. */
  static FilePath cachedJar(FilePath nodeRoot) throws IOException, InterruptedException {
    String sha256 = Bundled.sha256();
    FilePath jar = new FilePath(nodeRoot.getChannel(), nodeRoot.act(new JarPath(sha256)));
    if (jar.act(new IsCurrent(sha256))) {
      return jar;
    }
    FilePath dir = jar.getParent();
    dir.mkdirs();
    FilePath partial = dir.createTempFile("taskbound-", ".jar.part");
    try {
      partial.copyFrom(Bundled.url());
      partial.act(new Publish(jar.getRemote(), sha256));
    } finally {
      // Publish removes it; this covers a copy that failed half-way.
      if (partial.exists()) {
        partial.delete();
      }
    }
    return jar;
  }

  /**
   * Copies each policy file (resolved against {@code workspace}) next to the jar and records the
   * digests of every input.
   *
   * @throws AbortException if a policy file does not exist, naming it
   */
  @NonNull
  EnvelopeInputs withPolicySnapshots(@NonNull FilePath workspace, @NonNull List<String> policyFiles)
      throws IOException, InterruptedException {
    FilePath toolDir = new FilePath(workspace.getChannel(), jar).getParent();
    List<String> snapshots = new ArrayList<>();
    for (String policy : policyFiles) {
      FilePath source = workspace.child(policy);
      if (!source.exists()) {
        throw new AbortException("taskbound: policy file '" + policy + "' does not exist in " + workspace.getRemote());
      }
      FilePath snapshot = toolDir.createTempFile("policy-", "-" + source.getName());
      source.copyTo(snapshot);
      snapshots.add(snapshot.getRemote());
    }
    Map<String, String> digests = new LinkedHashMap<>();
    for (String path : files(jar, ceiling, snapshots)) {
      digests.put(path, new FilePath(workspace.getChannel(), path).act(new Sha256()));
    }
    return new EnvelopeInputs(jar, ceiling, snapshots, digests);
  }

  @NonNull
  String jar() {
    return jar;
  }

  @CheckForNull
  String ceiling() {
    return ceiling;
  }

  /** The policy snapshots, in the order of the step's {@code policy} argument. */
  @NonNull
  List<String> policies() {
    return policies;
  }

  /**
   * Checks that every input still has the digest recorded when it was written.
   *
   * @throws AbortException naming the first file that changed or disappeared, with both digests
   */
  void verify(@CheckForNull VirtualChannel channel) throws IOException, InterruptedException {
    for (Map.Entry<String, String> input : digests.entrySet()) {
      String now = new FilePath(channel, input.getKey()).act(new Sha256());
      if (!now.equals(input.getValue())) {
        throw new AbortException(
            "taskbound: " + input.getKey() + " changed on the agent while the block ran (sha256 " + input.getValue()
                + " when written, " + now + " now); commands after the change may not have run in the configured envelope");
      }
    }
  }

  /** Deletes the ceiling and the policy snapshots; the jar stays for the next step. */
  void cleanUp(@CheckForNull VirtualChannel channel) throws IOException, InterruptedException {
    for (String path : files(null, ceiling, policies)) {
      new FilePath(channel, path).delete();
    }
  }

  private static List<String> files(String jar, String ceiling, List<String> policies) {
    List<String> files = new ArrayList<>();
    if (jar != null) {
      files.add(jar);
    }
    if (ceiling != null) {
      files.add(ceiling);
    }
    files.addAll(policies);
    return files;
  }

  /** SHA-256 of a file on the agent as hex, or {@code missing} if it is gone. */
  private static final class Sha256 extends MasterToSlaveFileCallable<String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String invoke(File file, VirtualChannel channel) throws IOException {
      return file.isFile() ? CoreJarCache.sha256(file.toPath()) : "missing";
    }
  }

  /** The cached jar's path for a digest, under the node root this runs on. */
  private static final class JarPath extends MasterToSlaveFileCallable<String> {
    private static final long serialVersionUID = 1L;
    private final String sha256;

    JarPath(String sha256) {
      this.sha256 = sha256;
    }

    @Override
    public String invoke(File nodeRoot, VirtualChannel channel) {
      return CoreJarCache.jarPath(nodeRoot.toPath(), sha256).toString();
    }
  }

  /** Whether the cached jar is there with the expected digest. */
  private static final class IsCurrent extends MasterToSlaveFileCallable<Boolean> {
    private static final long serialVersionUID = 1L;
    private final String sha256;

    IsCurrent(String sha256) {
      this.sha256 = sha256;
    }

    @Override
    public Boolean invoke(File jar, VirtualChannel channel) throws IOException {
      return CoreJarCache.isCurrent(jar.toPath(), sha256);
    }
  }

  /** Publishes a complete copy as the cached jar (see {@link CoreJarCache#publish}). */
  private static final class Publish extends MasterToSlaveFileCallable<Void> {
    private static final long serialVersionUID = 1L;
    private final String jar;
    private final String sha256;

    Publish(String jar, String sha256) {
      this.jar = jar;
      this.sha256 = sha256;
    }

    @Override
    public Void invoke(File partial, VirtualChannel channel) throws IOException {
      CoreJarCache.publish(partial.toPath(), Path.of(jar), sha256);
      return null;
    }
  }

  /** The core CLI bundled in the plugin, and its digest, computed once per controller start. */
  private static final class Bundled {
    private static volatile String sha256;

    static URL url() {
      URL cli = EnvelopeInputs.class.getResource(CoreJarCache.BUNDLED_RESOURCE);
      if (cli == null) {
        throw new IllegalStateException(CoreJarCache.BUNDLED_RESOURCE + " is missing from the plugin; it was built without the core CLI");
      }
      return cli;
    }

    static String sha256() throws IOException {
      String known = sha256;
      if (known == null) {
        try (InputStream in = url().openStream()) {
          known = CoreJarCache.sha256(in);
        }
        sha256 = known;
      }
      return known;
    }
  }
}
