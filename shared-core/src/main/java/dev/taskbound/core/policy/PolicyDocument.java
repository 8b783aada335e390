package dev.taskbound.core.policy;

import java.util.Map;

/**
 * One YAML document of a policy file, bound and checked for form (not yet for narrowing).
 *
 * @param at where the document starts
 * @param kind whether this is the org ceiling or the task request
 * @param profile the profile a Task selects, or {@code null}
 * @param spec the document's own spec ({@link Layer#EMPTY} when absent)
 * @param profiles the profiles a Ceiling defines, in file order (empty for a Task)
 */
record PolicyDocument(
    Provenance at, Kind kind, Located<String> profile, Layer spec, Map<String, Located<Layer>> profiles) {

  enum Kind {
    CEILING("Ceiling"),
    TASK("Task");

    final String yaml;

    Kind(String yaml) {
      this.yaml = yaml;
    }
  }
}
