package dev.taskbound.core.policy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Loads policy files and merges them by narrowing only: org Ceiling ∩ profile ∩ Task. Files may
 * hold several YAML documents; across all files there is at most one {@code Ceiling} and at most
 * one {@code Task}. Without a Ceiling the built-in default ceiling applies. Every profile the
 * Ceiling defines is checked against it, whether selected or not. Stateless, thread-safe.
 */
public final class PolicyResolver {
  private PolicyResolver() {}

  /**
   * Loads all files (each may hold several documents), picks the profile ({@code profileOverride}
   * wins over the Task's {@code profile}) and merges.
   *
   * @param files policy files, named in messages as given; may be empty (the built-in default)
   * @param profileOverride a profile chosen on the command line, or empty
   * @return the effective policy with the provenance of every value
   * @throws PolicyException if a file cannot be read or is malformed, if there is more than one
   *     Ceiling or Task, if the selected profile is not defined, or if a lower layer widens an upper
   */
  public static EffectivePolicy resolve(List<Path> files, Optional<String> profileOverride) {
    return resolveDocuments(load(files), profileOverride);
  }

  /**
   * Checks the form of one file alone (syntax, keys, types, values) without merging it, and names
   * the kind of each of its documents in order, e.g. {@code [Ceiling, Task]}. Narrowing is checked by
   * {@link #resolve}, which needs all the layers.
   *
   * @throws PolicyException if the file cannot be read or a document is malformed
   */
  public static List<String> check(Path file) {
    List<String> kinds = new ArrayList<>();
    for (PolicyDocument d : PolicyBinder.load(file)) {
      kinds.add(d.kind().yaml);
    }
    return kinds;
  }

  /** Loads and binds every document of every file, in order. */
  static List<PolicyDocument> load(List<Path> files) {
    Objects.requireNonNull(files, "files");
    List<PolicyDocument> docs = new ArrayList<>();
    for (Path f : files) {
      docs.addAll(PolicyBinder.load(f));
    }
    return docs;
  }

  static EffectivePolicy resolveDocuments(List<PolicyDocument> docs, Optional<String> profileOverride) {
    Objects.requireNonNull(profileOverride, "profileOverride");
    PolicyDocument ceiling = single(docs, PolicyDocument.Kind.CEILING);
    PolicyDocument task = single(docs, PolicyDocument.Kind.TASK);

    Narrowing state = new Narrowing();
    if (ceiling != null) {
      state.applyCeiling(ceiling.at(), ceiling.spec());
      for (Located<Layer> p : ceiling.profiles().values()) {
        state.copy().apply(p.value());
      }
    }
    Optional<Located<String>> profile = profileOverride
        .map(name -> new Located<>(name, Provenance.commandLine("--profile"), "--profile"))
        .or(() -> Optional.ofNullable(task == null ? null : task.profile()));
    if (profile.isPresent()) {
      state.apply(profileLayer(ceiling, profile.get()));
    }
    if (task != null) {
      state.apply(task.spec());
    }
    return state.toPolicy(profile);
  }

  private static Layer profileLayer(PolicyDocument ceiling, Located<String> selected) {
    String name = selected.value();
    String where = selected.at().line() == 0 ? selected.at() + " " + name : selected.where() + ": " + name;
    if (ceiling == null) {
      throw new PolicyException(where + " is not defined: no Ceiling was given, and the built-in default ceiling"
          + " defines no profiles");
    }
    Located<Layer> layer = ceiling.profiles().get(name);
    if (layer == null) {
      Map<String, Located<Layer>> defined = ceiling.profiles();
      throw new PolicyException(where + " is not defined by the Ceiling (" + ceiling.at() + "); defined: "
          + (defined.isEmpty() ? "none" : String.join(", ", defined.keySet())));
    }
    return layer.value();
  }

  private static PolicyDocument single(List<PolicyDocument> docs, PolicyDocument.Kind kind) {
    PolicyDocument found = null;
    for (PolicyDocument d : docs) {
      if (d.kind() != kind) {
        continue;
      }
      if (found != null) {
        throw new PolicyException(d.at() + ": kind: a second " + kind.yaml + " (the first is at " + found.at()
            + "); accepted: at most one " + kind.yaml + " across all files");
      }
      found = d;
    }
    return found;
  }
}
