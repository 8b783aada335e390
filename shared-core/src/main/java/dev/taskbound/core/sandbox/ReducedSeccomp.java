package dev.taskbound.core.sandbox;

import dev.taskbound.core.policy.Protection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Whether the {@code netns} agent gets its seccomp filter: always where a profile exists for the
 * architecture; where none does, only a launch that may go without it ({@code sandbox.confinement:
 * reduced} within the Ceiling's {@code allowReduced: [seccomp]}) starts, without a filter, and the
 * evidence says so. Stateless.
 */
final class ReducedSeccomp {
  private ReducedSeccomp() {}

  /**
   * @return the profile; empty only when none exists for {@code osArch} and the launch allows it
   * @throws SandboxException when none exists and the launch does not allow going without it, or the
   *     profile cannot be read
   */
  static Optional<SeccompProfile> profile(String osArch, Confinement confinement) {
    if (!SeccompProfile.exists(osArch) && confinement.allowsWithout(Protection.SECCOMP)) {
      return Optional.empty();
    }
    return Optional.of(SeccompProfile.forArchitecture(osArch));
  }

  /** The evidence's {@code seccomp}: the profile's digest, or that there is none. */
  static Map<String, Object> describe(Optional<SeccompProfile> profile, String osArch) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("profile", profile.map(SeccompProfile::digest).orElse("none"));
    m.put("architecture", profile.map(SeccompProfile::architecture).orElse(osArch));
    m.put("refused_with", profile.isPresent() ? "EPERM" : "nothing: no filter (reduced confinement)");
    return m;
  }

  /** Why the filter is off, for {@code reduced_because}. */
  static Optional<String> because(Optional<SeccompProfile> profile, String osArch) {
    return profile.isPresent() ? Optional.empty()
        : Optional.of("no seccomp profile exists for the architecture '" + osArch + "'");
  }
}
