package dev.taskbound.core.policy;

import java.util.List;

/**
 * The confinement fields of one layer's {@code spec.sandbox} as written ({@code user}, {@code
 * paths}, {@code env}, {@code confinement}, {@code allowReduced}); a {@code null} component is not
 * mentioned and inherits.
 */
record SandboxLayer(
    Located<String> user,
    Located<List<Located<PolicyPath>>> readOnly,
    Located<List<Located<PolicyPath>>> readWrite,
    Located<List<Located<PolicyPath>>> hide,
    Located<List<Located<String>>> envPass,
    Located<ConfinementLevel> level,
    Located<List<Located<Protection>>> allowReduced) {

  static final SandboxLayer EMPTY = new SandboxLayer(null, null, null, null, null, null, null);
}
