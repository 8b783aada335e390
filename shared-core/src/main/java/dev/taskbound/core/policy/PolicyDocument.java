package dev.taskbound.core.policy;

import java.util.Map;

/**
 * One YAML document of a policy file, bound and checked for form (not yet for narrowing).
 *
 * @param at where the document starts
 * @param kind whether this is the org ceiling or the task request
 * @param profile the profile a Task selects, or a Profile's {@code metadata.name}, or {@code null}
 * @param spec the document's own spec ({@link Layer#EMPTY} when absent)
 * @param profiles the profiles a Ceiling defines, in file order (empty for a Task)
 * @param allowRepositoryCeiling a Ceiling's {@code allowRepositoryCeiling}, or {@code null} when
 *     not written (false)
 */
record PolicyDocument(
    Provenance at, Kind kind, Located<String> profile, Layer spec, Map<String, Located<Layer>> profiles,
    Located<Boolean> allowRepositoryCeiling) {

  /** Whether this org Ceiling lets a repository's own Ceiling narrow it (off unless written). */
  boolean allowsRepositoryCeiling() {
    return allowRepositoryCeiling != null && allowRepositoryCeiling.value();
  }

  enum Kind {
    CEILING("Ceiling"),
    TASK("Task"),
    /** One profile in a file of its own: only in an org ceiling's profiles directory. */
    PROFILE("Profile");

    final String yaml;

    Kind(String yaml) {
      this.yaml = yaml;
    }
  }
}
