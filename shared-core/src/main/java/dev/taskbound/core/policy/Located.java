package dev.taskbound.core.policy;

/**
 * A value read from a policy, with where it was written and the field path that names it there
 * ({@code spec.egress.allow[2]}, {@code profiles.coding-agent.ttl}).
 */
record Located<T>(T value, Provenance at, String field) {
  /** {@code file:line: field}, the prefix of every message about this value. */
  String where() {
    return at + ": " + field;
  }

  static <T> Located<T> builtIn(T value, String field) {
    return new Located<>(value, Provenance.BUILT_IN, field);
  }
}
