package dev.taskbound.core.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The policy's part of the sandbox's confinement beyond the fixed floor: who the agent runs as,
 * which extra host paths it sees, which workspace paths it does not, which host variables it gets,
 * and whether a protection the host cannot give may be off. Immutable; lists are unmodifiable.
 *
 * @param user {@code sandbox.user} (Ceiling only): an account name, {@code uid} or {@code uid:gid}
 *     the agent runs as when Taskbound is root; empty: the workspace's owner. Resolved (and refused
 *     if it is root) when the session opens
 * @param readOnly {@code sandbox.paths.readOnly}: host paths the agent sees read-only
 * @param readWrite {@code sandbox.paths.readWrite}: host paths the agent may write besides the workspace
 * @param hide {@code sandbox.paths.hide}: workspace paths the agent sees empty (all {@link
 *     PolicyPath.Root#WORKSPACE}); unioned across layers
 * @param envPass {@code sandbox.env.pass}: host variables the agent gets besides the allow-list
 * @param level {@code sandbox.confinement}
 * @param allowReduced {@code sandbox.allowReduced} (Ceiling only): what {@code reduced} may leave off
 */
public record ConfinementPolicy(
    Optional<String> user,
    List<PolicyPath> readOnly,
    List<PolicyPath> readWrite,
    List<PolicyPath> hide,
    List<String> envPass,
    ConfinementLevel level,
    List<Protection> allowReduced) {

  /** Nothing beyond the floor: the workspace's owner, no extra path or variable, full confinement. */
  public static final ConfinementPolicy DEFAULT = new ConfinementPolicy(
      Optional.empty(), List.of(), List.of(), List.of(), List.of(), ConfinementLevel.FULL, List.of());

  public ConfinementPolicy {
    Objects.requireNonNull(user, "user");
    readOnly = List.copyOf(readOnly);
    readWrite = List.copyOf(readWrite);
    hide = List.copyOf(hide);
    envPass = List.copyOf(envPass);
    Objects.requireNonNull(level, "level");
    allowReduced = List.copyOf(allowReduced);
  }

  /**
   * Whether the sandbox may run without {@code protection} when this host cannot apply it: only
   * under {@code confinement: reduced} and only for what the Ceiling's {@code allowReduced} lists.
   * Otherwise a protection that cannot be applied must stop the run (exit 121) before the agent starts.
   */
  public boolean mayGoWithout(Protection protection) {
    return level == ConfinementLevel.REDUCED && allowReduced.contains(protection);
  }

  /** The protections {@link #mayGoWithout} allows to be off, in the Ceiling's order; empty under {@code full}. */
  public List<Protection> reducible() {
    return level == ConfinementLevel.REDUCED ? allowReduced : List.of();
  }

  /** This policy with only {@code names} passed (see {@code EffectivePolicy.narrowEnvPass}). */
  ConfinementPolicy withEnvPass(List<String> names) {
    return new ConfinementPolicy(user, readOnly, readWrite, hide, names, level, allowReduced);
  }

  /** For the canonical JSON: only what differs from {@link #DEFAULT}, so existing digests stay put. */
  Map<String, Object> canonical() {
    Map<String, Object> m = new TreeMap<>();
    user.ifPresent(u -> m.put("user", u));
    if (!readOnly.isEmpty()) {
      m.put("readOnly", strings(readOnly));
    }
    if (!readWrite.isEmpty()) {
      m.put("readWrite", strings(readWrite));
    }
    if (!hide.isEmpty()) {
      m.put("hide", strings(hide));
    }
    if (!envPass.isEmpty()) {
      m.put("envPass", envPass.stream().sorted().distinct().toList());
    }
    if (level != ConfinementLevel.FULL) {
      m.put("confinement", level.yamlName());
    }
    if (!allowReduced.isEmpty()) {
      m.put("allowReduced", allowReduced.stream().map(Protection::yamlName).sorted().toList());
    }
    return m;
  }

  private static List<String> strings(List<PolicyPath> paths) {
    List<String> out = new ArrayList<>();
    paths.forEach(p -> out.add(p.toString()));
    return out.stream().sorted().distinct().toList();
  }
}
