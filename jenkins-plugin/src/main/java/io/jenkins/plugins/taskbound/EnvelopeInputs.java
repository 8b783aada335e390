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
import java.nio.file.Files;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jenkins.MasterToSlaveFileCallable;

/**
 * The files every envelope of one step reads on the agent: the core CLI jar, the ceiling and
 * snapshots of the job's policy files, all in {@code <workspace>@tmp/taskbound}. Policies are
 * snapshotted once, after they were checked, so an agent that edits {@code taskbound/policy.yml} in
 * the workspace cannot widen the envelopes of the block's later commands. The SHA-256 of each file
 * is recorded so that {@link #verify} can tell, when the block ends, whether anything rewrote them
 * in between. Immutable and serializable (it lives in the Pipeline program state).
 */
final class EnvelopeInputs implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The runnable core CLI, bundled in the plugin as a resource; it never runs on the controller. */
  static final String CLI_RESOURCE = "taskbound-cli.jar";

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
   * Copies the core CLI into {@code toolDir} (atomically: a concurrent step never runs a half-written
   * jar) and writes the ceiling there if one is configured. Policies are not snapshotted yet.
   */
  @NonNull
  static EnvelopeInputs install(@NonNull FilePath toolDir, @CheckForNull String ceilingText)
      throws IOException, InterruptedException {
    URL cli = EnvelopeInputs.class.getResource(CLI_RESOURCE);
    if (cli == null) {
      throw new IllegalStateException(CLI_RESOURCE + " is missing from the plugin; it was built without the core CLI");
    }
    toolDir.mkdirs();
    FilePath jar = toolDir.child("taskbound.jar");
    FilePath partial = toolDir.createTempFile("taskbound-", ".jar.part");
    partial.copyFrom(cli);
    partial.renameTo(jar);
    FilePath ceiling = ceilingText == null ? null : toolDir.createTextTempFile("ceiling-", ".yml", ceilingText, true);
    return new EnvelopeInputs(jar.getRemote(), ceiling == null ? null : ceiling.getRemote(), List.of(), Map.of());
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
      if (!file.isFile()) {
        return "missing";
      }
      MessageDigest sha256;
      try {
        sha256 = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JDK has SHA-256", e);
      }
      try (InputStream in = new DigestInputStream(Files.newInputStream(file.toPath()), sha256)) {
        in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      return HexFormat.of().formatHex(sha256.digest());
    }
  }
}
