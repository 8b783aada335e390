package dev.taskbound.core.session;

import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.Retry;
import dev.taskbound.core.broker.github.GithubFileRead;
import dev.taskbound.core.broker.github.GithubFileReader;
import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.GithubPolicyLocation;
import dev.taskbound.core.policy.PolicyException;
import dev.taskbound.core.policy.PolicyResolver;
import dev.taskbound.core.policy.PolicyText;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The org ceiling read from the organisation's {@code .github} repository with the host's GitHub
 * App ({@link GithubFileReader}: a {@code contents: read} token for that repository alone, revoked
 * before this returns, so before any credential of the session is minted), and what the session
 * records of it: the commit SHA and SHA-256 digest go into the identity's claims and the evidence.
 *
 * <p>No silent fallback: a missing org ceiling is an error (exit 120) naming the repository and the
 * path, unless the run asked for the repository's own ceiling ({@code ceiling: repository}, {@code
 * --repository-ceiling}); then the run goes on with the repository's files alone and says plainly
 * that no org ceiling applied. Immutable.
 */
public final class OrgCeiling {
  /** The evidence event recording the org ceiling (or its absence). */
  public static final String EVENT = "policy.org_ceiling";

  private final GithubPolicyLocation location;
  private final boolean repositoryCeiling;
  private final Optional<PolicyText> text;
  private final GithubFileRead read;
  private final String digest;
  /** The org's profile files by profile name, in file-name order. */
  private final Map<String, PolicyText> profiles;
  /** Each profile file's repository path and {@code sha256:} digest, in the same order. */
  private final Map<String, String> profileDigests;

  private OrgCeiling(GithubPolicyLocation location, boolean repositoryCeiling, Optional<PolicyText> text,
      GithubFileRead read, String digest, Map<String, PolicyText> profiles, Map<String, String> profileDigests) {
    this.profiles = profiles;
    this.profileDigests = profileDigests;
    this.location = location;
    this.repositoryCeiling = repositoryCeiling;
    this.text = text;
    this.read = read;
    this.digest = digest;
  }

  /**
   * Reads the org ceiling at {@code location} with the App of {@code sources}, and every profile
   * file ({@code *.yml}, {@code *.yaml}) in the {@code profiles} directory next to it ({@code
   * taskbound/profiles/} for {@code taskbound/ceiling.yml}) at the same commit. The read token's
   * revocation is journalled under {@code sessionRoot} ({@link CeilingReadJournal}) from before the
   * mint until the token is revoked, so a process killed in between leaves it for {@code taskbound
   * teardown --session} (the Action's post step).
   *
   * @param repositoryCeiling whether the run asked for the repository's own ceiling, which makes a
   *     missing org ceiling acceptable
   * @throws BrokerException (exit 122) if no App is configured or a GitHub request failed, naming it
   * @throws PolicyException (exit 120) if the org ceiling is missing (and {@code repositoryCeiling}
   *     is false) or larger than a policy may be
   */
  public static OrgCeiling read(GithubPolicyLocation location, CredentialSources sources, boolean repositoryCeiling,
      Path sessionRoot) {
    return read(location, sources, repositoryCeiling, sessionRoot, java.util.Optional.empty());
  }

  /**
   * As {@link #read(GithubPolicyLocation, CredentialSources, boolean, Path)}, with the read token's
   * journal sealed with {@code journalKey} when given (an issuer's: the file never holds the token
   * in clear; {@code teardown --session} on its directory then needs the same key).
   */
  public static OrgCeiling read(GithubPolicyLocation location, CredentialSources sources, boolean repositoryCeiling,
      Path sessionRoot, java.util.Optional<JournalKey> journalKey) {
    Objects.requireNonNull(location, "location");
    CredentialSources.GithubApp app = sources.github().orElseThrow(() -> new BrokerException("github",
        "read the org ceiling " + location, -1, "no GitHub App is configured; set TASKBOUND_GITHUB_APP_ID and"
            + " TASKBOUND_GITHUB_APP_KEY_FILE (or TASKBOUND_GITHUB_APP_KEY), or give --ceiling a local file"));
    GithubFileReader reader =
        new GithubFileReader(app.appId(), app.key(), app.apiUrl(), Retry.defaults(), Duration.ofSeconds(10));
    GithubFileRead read;
    try (CeilingReadJournal journal = CeilingReadJournal.create(sessionRoot, journalKey)) {
      read = reader.read(location.owner(), location.repository(), location.path(), profilesDirectory(location),
          PolicyText.MAX_BYTES, journal);
    }
    return of(location, read, repositoryCeiling);
  }

  /** The directory of the org's profile files: {@code profiles} next to the ceiling's file. */
  static String profilesDirectory(GithubPolicyLocation location) {
    int slash = location.path().lastIndexOf('/');
    return slash < 0 ? "profiles" : location.path().substring(0, slash) + "/profiles";
  }

  /** What a read gave, checked: missing without {@code repositoryCeiling} or too large is an error. */
  static OrgCeiling of(GithubPolicyLocation location, GithubFileRead read, boolean repositoryCeiling) {
    if (read.missing().isPresent()) {
      if (!repositoryCeiling) {
        throw new PolicyException(location + ": the org ceiling is missing: " + read.missing().get()
            + "; accepted: create " + location.path() + " in " + location.fullRepository() + " and install the"
            + " GitHub App on it (docs/platform-teams.md), or, where the organisation has no org ceiling, set"
            + " 'ceiling: repository' (--repository-ceiling)");
      }
      return new OrgCeiling(location, true, Optional.empty(), read, "", Map.of(), Map.of());
    }
    String name = location + "@" + read.commit().substring(0, 12);
    if (read.size() > PolicyText.MAX_BYTES) {
      throw new PolicyException(name + ": larger than " + PolicyText.MAX_BYTES + " bytes (" + read.size()
          + "); policy files are small");
    }
    byte[] content = read.content();
    Map<String, PolicyText> profiles = new LinkedHashMap<>();
    Map<String, String> profileDigests = new LinkedHashMap<>();
    String at = "@" + read.commit().substring(0, 12);
    read.directoryFiles().forEach((path, bytes) -> {
      String file = path.substring(path.lastIndexOf('/') + 1);
      String profile = file.substring(0, file.lastIndexOf('.'));
      PolicyText text = new PolicyText(GithubPolicyLocation.PREFIX + location.fullRepository() + "/" + path + at, bytes);
      if (profiles.putIfAbsent(profile, text) != null) {
        throw new PolicyException(text.name() + ": profile " + profile + " has two files ("
            + profiles.get(profile).name() + "); accepted: one file per profile, .yml or .yaml");
      }
      profileDigests.put(path, "sha256:" + sha256(bytes));
    });
    return new OrgCeiling(location, repositoryCeiling, Optional.of(new PolicyText(name, content)), read,
        "sha256:" + sha256(content), java.util.Collections.unmodifiableMap(profiles),
        java.util.Collections.unmodifiableMap(profileDigests));
  }

  /**
   * The effective policy: the repository's {@code files} under the org ceiling, or, where it is
   * missing and the run asked for the repository's ceiling, the files alone.
   *
   * @throws PolicyException as {@link PolicyResolver#resolve(PolicyText, List, Optional, boolean)},
   *     or when a grant above read reaches the ceiling's own repository ({@link CeilingRepositoryGuard})
   */
  public EffectivePolicy resolve(List<Path> files, Optional<String> profile) {
    EffectivePolicy policy = text.isPresent()
        ? PolicyResolver.resolve(text.get(), profiles, files, profile, repositoryCeiling)
        : PolicyResolver.resolve(files, profile);
    CeilingRepositoryGuard.check(policy, Optional.of(location)); // even where the file is missing: the agent could create it
    return policy;
  }

  /** Whether an org ceiling applies (false only where it is missing and the run allowed that). */
  public boolean applied() {
    return text.isPresent();
  }

  /** Where the org ceiling was looked for. */
  public GithubPolicyLocation location() {
    return location;
  }

  /** The org ceiling as read (its name holds the short commit), when it applies. */
  public Optional<PolicyText> text() {
    return text;
  }

  /** The full SHA of the commit the org ceiling was read at; empty when it does not apply. */
  public String commit() {
    return read.commit();
  }

  /** {@code sha256:<hex>} of the org ceiling's bytes; empty when it does not apply. */
  public String digest() {
    return digest;
  }

  /** One line for people: which ceiling applied, at which commit, or plainly that none did and why. */
  public String describe() {
    if (applied()) {
      return "org ceiling " + location + " at " + dev.taskbound.core.SafeText.value(read.branch()) + " " + read.commit()
          + " (" + digest + ")" + (profiles.isEmpty() ? ""
          : "; profiles " + String.join(", ", profiles.keySet()) + " from " + profilesDirectory(location) + "/");
    }
    return "no org ceiling applied: " + dev.taskbound.core.SafeText.line(read.missing().orElse(""))
        + "; the repository's policy files decide"
        + " (ceiling: repository)";
  }

  /** The identity claims: the org ceiling's source, commit and digest, or {@code org_ceiling: none}. */
  public Map<String, Object> claims() {
    Map<String, Object> claims = new LinkedHashMap<>();
    if (applied()) {
      claims.put("ceiling_source", location.toString());
      claims.put("ceiling_commit", read.commit());
      claims.put("ceiling_digest", digest);
      if (!profileDigests.isEmpty()) {
        claims.put("ceiling_profiles_digest", profilesDigest());
      }
    } else {
      claims.put("ceiling_source", "none");
    }
    return claims;
  }

  /** The data of the {@value #EVENT} event. */
  public Map<String, Object> evidence() {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("source", location.toString());
    data.put("repository", location.fullRepository());
    data.put("path", location.path());
    data.put("applied", applied());
    if (applied()) {
      data.put("branch", read.branch());
      data.put("commit", read.commit());
      data.put("digest", digest);
      data.put("size", read.size());
      data.put("repository_ceiling", repositoryCeiling);
      if (!profileDigests.isEmpty()) {
        data.put("profiles", profileDigests);
        data.put("profiles_digest", profilesDigest());
      }
    } else {
      data.put("missing", read.missing().orElse(""));
      data.put("note", "no org ceiling applied");
    }
    if (!read.tokenFingerprint().isEmpty()) {
      data.put("read_token", Map.of("fingerprint", read.tokenFingerprint(), "permissions", Map.of("contents", "read"),
          "revoked", true));
    }
    return data;
  }

  /** The org's profile files by repository path with their {@code sha256:} digests, in name order. */
  public Map<String, String> profileDigests() {
    return profileDigests;
  }

  /**
   * One digest for all profile files: SHA-256 of the lines {@code <path> <digest>\n} in name order,
   * so that the identity carries one claim however many files there are.
   */
  String profilesDigest() {
    StringBuilder lines = new StringBuilder();
    profileDigests.forEach((path, d) -> lines.append(path).append(' ').append(d).append('\n'));
    return "sha256:" + sha256(lines.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  @Override
  public String toString() {
    return "OrgCeiling[" + describe() + "]";
  }
}
