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
   * As {@link #resolve(List, Optional)}, binding each file once and telling {@code checked} each
   * file's document kinds in order (e.g. {@code [Ceiling, Task]}) as soon as its form is checked,
   * before the layers are merged: what {@code taskbound policy check} reports.
   *
   * @throws PolicyException as {@link #resolve(List, Optional)}; the files before a malformed one
   *     have been reported
   */
  public static EffectivePolicy resolve(List<Path> files, Optional<String> profileOverride,
      java.util.function.BiConsumer<Path, List<String>> checked) {
    Objects.requireNonNull(files, "files");
    List<PolicyDocument> docs = new ArrayList<>();
    for (Path f : files) {
      List<PolicyDocument> one = PolicyBinder.load(f);
      checked.accept(f, one.stream().map(d -> d.kind().yaml).toList());
      docs.addAll(one);
    }
    return resolveDocuments(docs, profileOverride);
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

  /**
   * Resolves the files under an org ceiling that came from elsewhere (the organisation's {@code
   * .github} repository): the org ceiling is the top layer, and the files only narrow it. The org
   * ceiling must be exactly one {@code Ceiling} document.
   *
   * <p>A {@code Ceiling} among the files (the repository's own) is accepted only when {@code
   * repositoryCeiling} asks for it and the org ceiling sets {@code allowRepositoryCeiling: true};
   * it then narrows the org ceiling like any lower layer (same trust domain, audiences among the
   * org's), and a profile is looked up in it first, then in the org ceiling.
   *
   * @param orgCeiling the org ceiling's bytes and the name that stands for its file
   * @param files the repository's policy files
   * @param repositoryCeiling whether the run asked for the repository's own Ceiling ({@code
   *     ceiling: repository}); refused when the org ceiling does not allow it, whether or not the
   *     files hold one
   * @throws PolicyException as {@link #resolve(List, Optional)}, and if the org ceiling is not one
   *     Ceiling document, or a repository Ceiling is given or asked for where the org ceiling does
   *     not allow one
   */
  public static EffectivePolicy resolve(
      PolicyText orgCeiling, List<Path> files, Optional<String> profileOverride, boolean repositoryCeiling) {
    return resolve(orgCeiling, Map.of(), files, profileOverride, repositoryCeiling);
  }

  /**
   * As {@link #resolve(PolicyText, List, Optional, boolean)}, with the org's profile files ({@code
   * taskbound/profiles/NAME.yml}, each one {@code kind: Profile}) added to the org ceiling's
   * profiles. A name defined both in the ceiling and by a file is refused, naming both.
   *
   * @param orgProfiles profile name (the file's name without {@code .yml}) to the file's bytes
   */
  public static EffectivePolicy resolve(PolicyText orgCeiling, Map<String, PolicyText> orgProfiles, List<Path> files,
      Optional<String> profileOverride, boolean repositoryCeiling) {
    PolicyDocument org = withProfiles(orgCeilingDocument(orgCeiling), orgProfiles);
    if (repositoryCeiling && !org.allowsRepositoryCeiling()) {
      String said = org.allowRepositoryCeiling() == null
          ? "does not set allowRepositoryCeiling"
          : "sets allowRepositoryCeiling: false (" + org.allowRepositoryCeiling().at() + ")";
      throw new PolicyException("ceiling: repository is refused: the org ceiling " + org.at() + " " + said
          + "; accepted: leave out 'ceiling: repository' (--repository-ceiling) so that the org ceiling applies,"
          + " or have the org ceiling set allowRepositoryCeiling: true");
    }
    List<PolicyDocument> docs = load(files);
    PolicyDocument repo = single(docs, PolicyDocument.Kind.CEILING);
    if (repo != null && !repositoryCeiling) {
      throw new PolicyException(repo.at() + ": kind: a Ceiling, but the org ceiling " + org.at() + " applies;"
          + " accepted: Task documents only (a repository Ceiling needs 'ceiling: repository' and an org ceiling"
          + " with allowRepositoryCeiling: true)");
    }
    PolicyDocument task = single(docs, PolicyDocument.Kind.TASK);
    Narrowing state = new Narrowing();
    state.applyCeiling(org.at(), org.spec());
    checkProfiles(state, org);
    if (repo != null) {
      checkNestedIdentity(org, repo);
      refuseOrgOnlyFields(org, repo);
      state.applyCeiling(repo.at(), repo.spec());
      checkProfiles(state, repo);
    }
    Optional<Located<String>> profile = selectedProfile(profileOverride, task);
    if (profile.isPresent()) {
      PolicyDocument definer = repo != null && repo.profiles().containsKey(profile.get().value()) ? repo : org;
      state.apply(profileLayer(definer, profile.get()));
    }
    if (task != null) {
      state.apply(task.spec());
    }
    return state.toPolicy(profile);
  }

  /**
   * Checks the form of policy bytes from elsewhere, as {@link #check(Path)} does for a file.
   *
   * @throws PolicyException if the bytes are too many, not UTF-8 or a document is malformed
   */
  public static List<String> check(PolicyText text) {
    List<String> kinds = new ArrayList<>();
    for (PolicyDocument d : PolicyBinder.parse(text)) {
      kinds.add(d.kind().yaml);
    }
    return kinds;
  }

  private static PolicyDocument orgCeilingDocument(PolicyText text) {
    List<PolicyDocument> docs = PolicyBinder.parse(text);
    for (PolicyDocument d : docs) {
      if (d.kind() != PolicyDocument.Kind.CEILING) {
        throw new PolicyException(d.at() + ": kind: " + d.kind().yaml + " in the org ceiling; accepted: exactly one"
            + " Ceiling document");
      }
    }
    if (docs.size() != 1) {
      throw new PolicyException(docs.get(1).at() + ": kind: a second Ceiling (the first is at " + docs.get(0).at()
          + "); accepted: exactly one Ceiling document in the org ceiling");
    }
    return docs.get(0);
  }

  private static PolicyDocument withProfiles(PolicyDocument org, Map<String, PolicyText> files) {
    if (files.isEmpty()) {
      return org;
    }
    Map<String, Located<Layer>> profiles = new java.util.LinkedHashMap<>(org.profiles());
    for (Map.Entry<String, PolicyText> f : files.entrySet()) {
      Located<Layer> defined = profiles.get(f.getKey());
      if (defined != null) {
        throw new PolicyException(f.getValue().name() + ": profile " + f.getKey() + " is defined twice (also at "
            + defined.where() + "); accepted: each profile either in the ceiling's profiles or in a file of its own");
      }
      profiles.put(f.getKey(), PolicyBinder.parseProfile(f.getValue(), f.getKey()));
    }
    return new PolicyDocument(org.at(), org.kind(), org.profile(), org.spec(),
        java.util.Collections.unmodifiableMap(profiles), org.allowRepositoryCeiling());
  }

  /** A repository Ceiling under the org's keeps the org's trust domain and picks among its audiences. */
  private static void checkNestedIdentity(PolicyDocument org, PolicyDocument repo) {
    Located<String> domain = repo.spec().trustDomain();
    String orgDomain = org.spec().trustDomain() == null ? Narrowing.DEFAULT_TRUST_DOMAIN : org.spec().trustDomain().value();
    String orgDomainAt = org.spec().trustDomain() == null ? "built-in default under " + org.at()
        : org.spec().trustDomain().at().toString();
    if (domain != null && !domain.value().equals(orgDomain)) {
      throw new PolicyException(domain.where() + ": " + domain.value() + " widens the ceiling (" + orgDomainAt
          + " sets " + orgDomain + "); accepted: the org's trust domain or none");
    }
    Located<List<Located<String>>> audiences = repo.spec().audiences();
    if (audiences == null) {
      return;
    }
    List<String> allowed = new ArrayList<>();
    Layer o = org.spec();
    if (o.audiences() != null) {
      o.audiences().value().forEach(a -> allowed.add(a.value()));
    } else {
      allowed.add(o.audience() != null ? o.audience().value() : Narrowing.DEFAULT_AUDIENCE);
    }
    for (Located<String> a : audiences.value()) {
      if (!allowed.contains(a.value())) {
        throw new PolicyException(a.where() + ": " + a.value() + " widens the ceiling (" + org.at() + " allows "
            + String.join(", ", allowed) + ")");
      }
    }
  }

  /**
   * Who the agent runs as, which protections may be reduced and who signs the evidence are the
   * org's to say: a repository Ceiling under it names none of them (each is copied, not narrowed).
   */
  private static void refuseOrgOnlyFields(PolicyDocument org, PolicyDocument repo) {
    SandboxLayer sandbox = repo.spec().confinement();
    java.util.stream.Stream.of(sandbox.user(), sandbox.allowReduced(), repo.spec().signer())
        .filter(java.util.Objects::nonNull)
        .findFirst()
        .ifPresent(named -> {
          throw new PolicyException(named.where() + ": set in a repository Ceiling, but it is the org ceiling's to set ("
              + org.at() + "); accepted: sandbox.user, sandbox.allowReduced and evidence.signer in the org ceiling only");
        });
  }

  private static void checkProfiles(Narrowing state, PolicyDocument ceiling) {
    for (Located<Layer> p : ceiling.profiles().values()) {
      state.copy().apply(p.value());
    }
  }

  private static Optional<Located<String>> selectedProfile(Optional<String> profileOverride, PolicyDocument task) {
    Objects.requireNonNull(profileOverride, "profileOverride");
    return profileOverride
        .map(name -> new Located<>(name, Provenance.commandLine("--profile"), "--profile"))
        .or(() -> Optional.ofNullable(task == null ? null : task.profile()));
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
    Located<Layer> layer = ceiling == null ? null : ceiling.profiles().get(name);
    if (layer == null) {
      // A Ceiling's own profile wins; else Taskbound's shipped one (it narrows like any profile).
      layer = ShippedProfiles.find(name).orElse(null);
    }
    String shipped = "; shipped: " + String.join(", ", ShippedProfiles.NAMES);
    if (layer == null && ceiling == null) {
      throw new PolicyException(where + " is not defined: no Ceiling was given, and the built-in default ceiling"
          + " defines no profiles" + shipped);
    }
    if (layer == null) {
      Map<String, Located<Layer>> defined = ceiling.profiles();
      throw new PolicyException(where + " is not defined by the Ceiling (" + ceiling.at() + "); defined: "
          + (defined.isEmpty() ? "none" : String.join(", ", defined.keySet())) + shipped);
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
