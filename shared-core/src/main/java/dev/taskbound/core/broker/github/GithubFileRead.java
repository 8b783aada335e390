package dev.taskbound.core.broker.github;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link GithubFileReader} found: the file's bytes at the default branch's head commit, or
 * why there is no such file (the repository, the App's access to it, or the file is missing).
 * Immutable.
 */
public final class GithubFileRead {
  private final Optional<String> missing;
  private final String branch;
  private final String commit;
  private final byte[] content;
  private final long size;
  private final String tokenFingerprint;
  private final Map<String, byte[]> directoryFiles;

  private GithubFileRead(Optional<String> missing, String branch, String commit, byte[] content, long size,
      Map<String, byte[]> directoryFiles, String tokenFingerprint) {
    this.directoryFiles = directoryFiles;
    this.missing = missing;
    this.branch = branch;
    this.commit = commit;
    this.content = content;
    this.size = size;
    this.tokenFingerprint = tokenFingerprint;
  }

  static GithubFileRead found(String branch, String commit, byte[] content, long size,
      Map<String, byte[]> directoryFiles, String tokenFingerprint) {
    Map<String, byte[]> copy = new LinkedHashMap<>();
    directoryFiles.forEach((path, bytes) -> copy.put(path, bytes.clone()));
    return new GithubFileRead(Optional.empty(), Objects.requireNonNull(branch), Objects.requireNonNull(commit),
        content.clone(), size, Collections.unmodifiableMap(copy), tokenFingerprint);
  }

  static GithubFileRead missing(String reason, String tokenFingerprint) {
    return new GithubFileRead(Optional.of(reason), "", "", new byte[0], 0, Map.of(), tokenFingerprint);
  }

  /** Why there is no file (one line, no secret), or empty when it was found. */
  public Optional<String> missing() {
    return missing;
  }

  /** The default branch read, e.g. {@code main}; empty when missing. */
  public String branch() {
    return branch;
  }

  /** The full SHA of the commit the file was read at; empty when missing. */
  public String commit() {
    return commit;
  }

  /**
   * The file's bytes; empty when missing or when {@link #size()} exceeds the reader's limit (then
   * they were never downloaded).
   */
  public byte[] content() {
    return content.clone();
  }

  /**
   * The YAML files of the directory read along with the file, by repository path in name order
   * (copies); empty when none was asked for, it is missing or the file itself is.
   */
  public Map<String, byte[]> directoryFiles() {
    Map<String, byte[]> copy = new LinkedHashMap<>();
    directoryFiles.forEach((path, bytes) -> copy.put(path, bytes.clone()));
    return copy;
  }

  /** The file's size as GitHub reports it. */
  public long size() {
    return size;
  }

  /** The fingerprint of the read-only token that read it (revoked since), or empty if none was minted. */
  public String tokenFingerprint() {
    return tokenFingerprint;
  }

  @Override
  public String toString() {
    return missing.map(m -> "GithubFileRead[missing: " + m + "]")
        .orElse("GithubFileRead[" + branch + "@" + commit + ", " + size + " bytes]");
  }
}
