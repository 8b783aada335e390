package dev.taskbound.core.policy;

import dev.taskbound.core.SafeText;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A part of the sandbox's confinement that a Ceiling may let a run go without ({@code
 * sandbox.allowReduced}) when the host cannot give it and the policy asks for {@code confinement:
 * reduced}. Without that, a part that cannot be applied stops the run before the agent starts.
 */
public enum Protection {
  /** The seccomp filter refusing the kernel's escape surface (mount, bpf, keyctl, ...). */
  SECCOMP,
  /** The agent's own user namespace, in which it can make no further one (the host has none to give). */
  USER_NAMESPACE,
  /** Running as an unprivileged uid when Taskbound is root and the host has no way to switch users. */
  UNPRIVILEGED_USER;

  /** The YAML spelling: {@code seccomp}, {@code user-namespace}, {@code unprivileged-user}. */
  public String yamlName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  static final String ACCEPTED = Arrays.stream(values()).map(Protection::yamlName).collect(Collectors.joining(", "));

  static Protection parse(String text) {
    for (Protection p : values()) {
      if (p.yamlName().equals(text)) {
        return p;
      }
    }
    throw new PolicyException(SafeText.quoted(text) + " is not accepted; accepted: " + ACCEPTED);
  }
}
