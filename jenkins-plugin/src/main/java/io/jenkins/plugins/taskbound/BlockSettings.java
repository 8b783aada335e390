package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * The settings a {@code taskbound} block takes besides its task, shared by the Pipeline step ({@link
 * TaskboundStep}) and the freestyle wrapper ({@link TaskboundBuildWrapper}): how each is normalised
 * (trimmed, empty means unset), checked, and translated into the core's command line ({@link
 * EnvelopeCommand}), once, so the two hosts cannot drift apart. Only translation: the core validates
 * the values (task syntax, TTL, profile names, policies). Needs no Jenkins type. Not thread-safe;
 * each step or wrapper instance owns one.
 */
final class BlockSettings implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The policy file used when {@code policy} is not given. */
  static final String DEFAULT_POLICY = "taskbound/policy.yml";

  /** The sandbox backends the core offers. */
  static final List<String> SANDBOXES = List.of("netns", "container", "proxy");

  @CheckForNull private String policy;
  @CheckForNull private String profile;
  @CheckForNull private String sandbox;
  @CheckForNull private String image;
  @CheckForNull private String ttl;
  @CheckForNull private String approvers;
  private boolean archive = true;

  /** {@code value} stripped, or null when it is null or blank: how every text setting is read from a form or script. */
  @CheckForNull
  static String text(@CheckForNull String value) {
    if (value == null) {
      return null;
    }
    String stripped = value.strip();
    return stripped.isEmpty() ? null : stripped;
  }

  @CheckForNull
  String policy() {
    return policy;
  }

  void policy(@CheckForNull String value) {
    policy = text(value);
  }

  @CheckForNull
  String profile() {
    return profile;
  }

  void profile(@CheckForNull String value) {
    profile = text(value);
  }

  @CheckForNull
  String sandbox() {
    return sandbox;
  }

  void sandbox(@CheckForNull String value) {
    sandbox = text(value);
  }

  @CheckForNull
  String image() {
    return image;
  }

  void image(@CheckForNull String value) {
    image = text(value);
  }

  @CheckForNull
  String ttl() {
    return ttl;
  }

  void ttl(@CheckForNull String value) {
    ttl = text(value);
  }

  @CheckForNull
  String approvers() {
    return approvers;
  }

  void approvers(@CheckForNull String value) {
    approvers = text(value);
  }

  boolean archive() {
    return archive;
  }

  void archive(boolean value) {
    archive = value;
  }

  /** The policy files to pass to the core: {@code policy} split on commas, or {@link #DEFAULT_POLICY}. */
  @NonNull
  List<String> policyFiles() {
    List<String> files = policy == null ? List.of()
        : Arrays.stream(policy.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    return files.isEmpty() ? List.of(DEFAULT_POLICY) : files;
  }

  /**
   * Checks what the host checks before anything runs (the sandbox's name, an image only with the
   * container sandbox, the approvers) and returns the approvers ({@link ApproverList#parse}).
   *
   * @throws IllegalArgumentException with the one line to fail the build with
   */
  @NonNull
  List<String> check() {
    if (sandbox != null && !SANDBOXES.contains(sandbox)) {
      throw new IllegalArgumentException("taskbound: 'sandbox' is '" + sandbox + "': accepted values are "
          + String.join(", ", SANDBOXES) + ", or leave it out for the policy's choice");
    }
    if (image != null && sandbox != null && !sandbox.equals("container")) {
      throw new IllegalArgumentException("taskbound: 'image' is set but 'sandbox' is '" + sandbox + "': the image is only"
          + " used by the container sandbox; set sandbox: 'container' or leave image out");
    }
    return ApproverList.parse(approvers);
  }

  /**
   * The block's core command line ({@link EnvelopeCommand}) from these settings and what the host
   * found: the node's java and jar, the ceiling's copy there, the profile a folder rule chose ({@link
   * FolderRules#profile}, which starts from {@link #profile()}), and the evidence directory.
   */
  @NonNull
  EnvelopeCommand command(@NonNull String java, @NonNull String jar, @NonNull String task, @CheckForNull String ceiling,
      @CheckForNull String chosenProfile, @NonNull String evidenceDir) {
    return new EnvelopeCommand(java, jar, task, policyFiles(), ceiling, chosenProfile, sandbox, image, ttl, evidenceDir);
  }
}
